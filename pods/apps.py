from django.apps import AppConfig


class PodsConfig(AppConfig):
    name = "pods"
    verbose_name = "Pods and init-container timelines"

    def ready(self) -> None:
        from pods.kube import check_configuration
        from pods.live import broadcast  # noqa: F401 - connects the logout receiver that closes live sockets

        # A clear message at startup (web, worker, beat, manage.py) instead of a failing watch: e.g. a
        # namespace in two groups of INITSCOPE_CLUSTER_NAMESPACE_GROUPS.
        check_configuration()
