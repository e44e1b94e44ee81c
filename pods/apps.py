from django.apps import AppConfig


class PodsConfig(AppConfig):
    name = "pods"
    verbose_name = "Pods and init-container timelines"

    def ready(self) -> None:
        from pods.live import broadcast  # noqa: F401 - connects the logout receiver that closes live sockets
