from django.apps import AppConfig


class PodsConfig(AppConfig):
    name = "pods"
    verbose_name = "Pods and init-container timelines"

    def ready(self) -> None:
        from pods import live  # noqa: F401 - connects the logout receiver that closes live sockets
