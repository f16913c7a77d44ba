def test_eo_bot_agent_is_the_same_command() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "bot", "agent", "--region", "Bad Region!"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("eo-bot agent: --region")
