"""`backoff_of` caches the kubelet's short waiting messages, never long ones (pods/timeline/diagnosis.py)."""

from pods.timeline import diagnosis


def test_a_long_waiting_message_is_read_but_not_cached():
    diagnosis._cached_backoff_of.cache_clear()
    short = "back-off 2m40s restarting failed container=migrate pod=api-0_shop(uid)"
    assert diagnosis.backoff_of(short) == "2m40s"
    huge = "back-off 5m0s restarting failed container=x " + "y" * 1_000_000
    assert diagnosis.backoff_of(huge) == "5m0s"
    assert diagnosis._cached_backoff_of.cache_info().currsize == 1  # the short one only
