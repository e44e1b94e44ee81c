"""Image names wrap at their separators: the `breakable` filter escapes, then adds `<wbr>` after / : @."""

from __future__ import annotations

from pods.web.templatetags.initscope import breakable


def test_an_image_name_may_wrap_after_each_separator_only():
    assert breakable("registry.example.com/acme/assets:9.9") == (
        "registry.example.com/<wbr>acme/<wbr>assets:<wbr>9.9"
    )
    assert breakable("busybox@sha256:abc") == "busybox@<wbr>sha256:<wbr>abc"


def test_markup_in_a_name_is_escaped_before_any_wbr_is_added():
    assert breakable('<img src=x onerror="a:b">') == "&lt;img src=x onerror=&quot;a:<wbr>b&quot;&gt;"
    assert breakable("") == "" and breakable(None) == ""


def test_a_status_may_also_wrap_where_a_camelcase_word_starts():
    assert breakable("Init:CreateContainerConfigError", "words") == (
        "Init:<wbr>Create<wbr>Container<wbr>Config<wbr>Error"
    )
    assert breakable("Init:0/2", "words") == "Init:<wbr>0/<wbr>2"
    assert breakable("CrashLoopBackOff") == "CrashLoopBackOff", "image names keep their words whole"
    assert breakable('a"B', "words") == "a&quot;B", "never inside an entity"
