from pathlib import Path

from services.assistance.settings import AssistanceSettings
from shared.cli import run

run(
    name="assistance", service_dir=Path(__file__).parent, settings_factory=AssistanceSettings,
    app_factory="services.assistance.app:create_app", default_port=8103,
)
