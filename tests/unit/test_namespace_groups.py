"""A large cluster split into namespace groups (INITSCOPE_CLUSTER_NAMESPACE_GROUPS): the setting's parsing,
its configuration errors (each with a message naming the fault), and the units of work it makes. No
services needed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from pods import kube, watch
from pods.kube import ClusterConfig, NamespaceGroup, parse_namespace_groups


def test_groups_are_parsed_per_cluster_in_the_order_given():
    parsed = parse_namespace_groups(" big = front: shop, payments | back:batch,infra ; other=all:x;")
    assert parsed == {
        "big": (NamespaceGroup("front", ("payments", "shop")), NamespaceGroup("back", ("batch", "infra"))),
        "other": (NamespaceGroup("all", ("x",)),),
    }
    assert parse_namespace_groups("") == {} and parse_namespace_groups(" ; ") == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("big", "entry 'big' is not CLUSTER=GROUP:ns1,ns2|GROUP:ns3"),
        ("=front:shop", "is not CLUSTER=GROUP"),
        ("big=shop,payments", "'shop,payments' of cluster 'big' is not GROUP:ns1,ns2"),
        ("big=Front:shop", "group name 'Front' of cluster 'big' is not a DNS label"),
        ("big=front/x:shop", "group name 'front/x' of cluster 'big' is not a DNS label"),
        ("big=:shop", "group name '' of cluster 'big' is not a DNS label"),
        ("big=front:shop|front:batch", "cluster 'big' has two groups named 'front'"),
        ("big=front: , ", "group 'front' of cluster 'big' names no namespace"),
        ("big=a:x;big=b:y", "cluster 'big' is given twice"),
        (
            "big=front:shop,payments|back:batch,shop",
            "namespace 'shop' of cluster 'big' is in groups 'front' and 'back'; a namespace belongs to one "
            "group",
        ),
    ],
)
def test_a_malformed_setting_is_an_error_that_names_the_fault(raw, message):
    with pytest.raises(ValueError, match="INITSCOPE_CLUSTER_NAMESPACE_GROUPS") as caught:
        parse_namespace_groups(raw)
    assert message in str(caught.value)


def test_a_split_cluster_watches_its_groups_namespaces_and_each_group_is_a_unit(settings):
    settings.INITSCOPE_CLUSTERS = ["big", "small", "narrow"]
    settings.INITSCOPE_CLUSTER_NAMESPACES = "narrow=shop"
    settings.INITSCOPE_CLUSTER_NAMESPACE_GROUPS = "big=front:shop,payments|back:batch"
    big, small, narrow = kube.configured_clusters()
    assert big == ClusterConfig(
        "big",
        ("batch", "payments", "shop"),
        (NamespaceGroup("front", ("payments", "shop")), NamespaceGroup("back", ("batch",))),
    )
    assert small == ClusterConfig("small") and narrow == ClusterConfig("narrow", ("shop",))
    assert big.scopes("front") == ("payments", "shop") and big.scopes("back") == ("batch",)
    assert big.scopes("nope") == () and big.group("nope") is None
    assert narrow.scopes() == ("shop",) and small.scopes() == ()
    assert kube.watch_units() == [("big", "front"), ("big", "back"), ("small", ""), ("narrow", "")]
    assert [kube.watch_key(*unit) for unit in kube.watch_units()] == [
        "big/front",
        "big/back",
        "small",
        "narrow",
    ]
    # Each group streams only its own namespaces (Pods then Events, one stream per namespace).
    assert watch.streams_for(big.scopes("back")) == [
        watch.Stream("pods", "batch"),
        watch.Stream("events", "batch"),
    ]


@pytest.mark.parametrize(
    ("clusters", "namespaces", "groups", "message"),
    [
        (["a"], "", "b=x:shop", "splits cluster 'b', which is not in INITSCOPE_CLUSTERS"),
        (["a"], "a=shop", "a=x:shop", "cluster 'a' has both INITSCOPE_CLUSTER_NAMESPACES and"),
        (["a", "a/x"], "", "a=x:shop", "group 'x' of cluster 'a' has the name of cluster 'a/x'"),
        (["a"], "", "a=x:shop|y:shop", "namespace 'shop' of cluster 'a' is in groups 'x' and 'y'"),
        (["a"], "a", "", "INITSCOPE_CLUSTER_NAMESPACES entry 'a' is not CLUSTER=ns1,ns2"),
    ],
)
def test_settings_that_do_not_hold_together_fail_the_startup_check(
    settings, clusters, namespaces, groups, message
):
    settings.INITSCOPE_CLUSTERS = clusters
    settings.INITSCOPE_CLUSTER_NAMESPACES = namespaces
    settings.INITSCOPE_CLUSTER_NAMESPACE_GROUPS = groups
    with pytest.raises(ImproperlyConfigured) as caught:
        kube.check_configuration()
    assert message in str(caught.value)


def test_the_apps_startup_runs_the_check(settings):
    from django.apps import apps

    settings.INITSCOPE_CLUSTERS = ["a"]
    settings.INITSCOPE_CLUSTER_NAMESPACE_GROUPS = "a=x:shop|y:shop,batch"
    with pytest.raises(
        ImproperlyConfigured, match="namespace 'shop' of cluster 'a' is in groups 'x' and 'y'"
    ):
        apps.get_app_config("pods").ready()


def test_each_group_has_its_own_lock_and_a_whole_cluster_keeps_its_key(settings):
    settings.REDIS_URL = ""  # the in-process lock keeps the same keys and contract
    whole = watch.ClusterLock("big", ttl=5, holder_id="host:1:a")
    front = watch.ClusterLock("big", ttl=5, holder_id="host:2:b", group="front")
    back = watch.ClusterLock("big", ttl=5, holder_id="host:3:c", group="back")
    assert (whole.key, front.key, back.key) == (
        "initscope:watch:big",
        "initscope:watch:big/front",
        "initscope:watch:big/back",
    )
    try:
        assert front.acquire() and back.acquire(), "two groups of one cluster are held at once"
        assert front.holder() == "host:2:b" and back.holder() == "host:3:c"
        assert not watch.ClusterLock("big", ttl=5, holder_id="host:4:d", group="front").acquire()
    finally:
        front.release()
        back.release()
