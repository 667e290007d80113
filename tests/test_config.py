import pytest

from compliance_assistant.config import LlmProvider, load_settings
from compliance_assistant.errors import InputError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("COMPLIANCE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_need_no_configuration() -> None:
    settings = load_settings()
    assert settings.llm.provider is LlmProvider.NONE
    assert settings.limits.max_text_chars == 500_000
    assert settings.limits.max_upload_bytes == 20 * 1024 * 1024
    assert settings.catalog.default_set == "marketing-eu"


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLIANCE_LIMITS__MAX_TEXT_CHARS", "1234")
    monkeypatch.setenv("COMPLIANCE_LLM__PROVIDER", "openai")
    monkeypatch.setenv("COMPLIANCE_LLM__MODEL", "gpt-4o-mini")
    monkeypatch.setenv("COMPLIANCE_CATALOG__STYLES_PATH", "/a:/b")
    settings = load_settings()
    assert settings.limits.max_text_chars == 1234
    assert settings.llm.provider is LlmProvider.OPENAI
    assert [str(p) for p in settings.catalog.styles_path] == ["/a", "/b"]


def test_dotenv_file_is_read(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    Path(str(tmp_path), ".env").write_text("COMPLIANCE_LOG_LEVEL=debug\n", encoding="utf-8")
    assert load_settings().log_level == "DEBUG"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"COMPLIANCE_LLM__PROVIDER": "gemini-ultra"},
            r"llm\.provider \(COMPLIANCE_LLM__PROVIDER\): Input should be 'none', 'openai'",
        ),
        (
            {
                "COMPLIANCE_LLM__PROVIDER": "openai_compatible",
                "COMPLIANCE_LLM__MODEL": "m",
                "COMPLIANCE_LLM__BASE_URL": "not a url",
            },
            r"llm\.base_url \(COMPLIANCE_LLM__BASE_URL\): Input should be a valid URL",
        ),
        (
            {"COMPLIANCE_LLM__PROVIDER": "openai_compatible", "COMPLIANCE_LLM__MODEL": "m"},
            r"llm.base_url is required for provider 'openai_compatible'",
        ),
        (
            {"COMPLIANCE_ENVIRONMENT": "production", "COMPLIANCE_LLM__API_KEY": "changeme"},
            r"llm\.api_key holds a placeholder value",
        ),
        (
            {"COMPLIANCE_ENVIRONMENT": "production", "COMPLIANCE_LLM__API_KEY": "<your key>"},
            r"placeholder value",
        ),
        ({"COMPLIANCE_LOG_LEVEL": "chatty"}, r"unknown log level 'chatty'"),
    ],
)
def test_invalid_settings_are_clear_errors(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InputError, match=message):
        load_settings()


def test_placeholder_secret_is_allowed_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLIANCE_LLM__API_KEY", "changeme")
    assert load_settings().llm.api_key is not None


def test_real_secret_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLIANCE_ENVIRONMENT", "production")
    monkeypatch.setenv("COMPLIANCE_LLM__API_KEY", "sk-3f9a8b7c6d5e4f")
    settings = load_settings()
    assert settings.llm.api_key is not None
    assert "sk-3f9" not in repr(settings)
