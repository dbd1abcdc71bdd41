"""The example alerting rules (deploy/prometheus/alerts.yml) parse, and name only metrics that
the node exposes: a rule on a metric that was renamed would never fire."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from hanoix.services.node import Node
from tests.services.requests_world import outgoing, populate

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"
# Series Prometheus makes itself, not the node.
PROMETHEUS_OWN = {"up"}
# An identifier that is not a function call: a metric, or one of PromQL's keywords.
_NAME = re.compile(r"\b([a-zA-Z_][a-zA-Z0-9_]*)\b(?!\s*\()")
_KEYWORDS = {"by", "without", "on", "ignoring", "and", "or", "unless", "bool", "offset"}


def _metrics(expr: str) -> set[str]:
    """The metrics an expression reads (label matchers and ranges put aside)."""
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    return set(_NAME.findall(bare)) - _KEYWORDS


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def _exposed(node: Node) -> set[str]:
    text = node.metrics.exposition().decode()
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return names


def test_every_rule_is_complete_and_names_a_metric_the_node_exposes(node: Node) -> None:
    populate(node)
    outgoing(node, "draft")
    exposed = _exposed(node)
    rules = _rules()
    assert len({rule["alert"] for rule in rules}) == len(rules)
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= rule.keys(), rule
        assert rule["labels"]["severity"] in {"page", "ticket"}
        named = _metrics(rule["expr"])
        assert named, f"{rule['alert']}: no metric found in {rule['expr']!r}"
        unknown = named - exposed - PROMETHEUS_OWN
        assert not unknown, f"{rule['alert']} names {sorted(unknown)}, which the node lacks"


def test_the_expression_reader_finds_metrics_not_labels_or_functions() -> None:
    assert _metrics('sum(rate(a_total{x="y"}[5m])) * 60 > 5') == {"a_total"}
    assert _metrics("b_seconds > 15 * 60 and on() c == 1") == {"b_seconds", "c"}


def test_the_thresholds_the_issue_asks_for_are_there() -> None:
    rules = {rule["alert"]: rule["expr"] for rule in _rules()}
    assert rules["HanoixUrgentMessageUnacknowledged"].endswith("> 15 * 60")
    assert rules["HanoixPeerUnreachable"].endswith("> 60 * 60")
    assert (
        rules["HanoixCheckpointNotCosigned"] == "hanoix_witness_uncosigned_seconds > 24 * 60 * 60"
    )
