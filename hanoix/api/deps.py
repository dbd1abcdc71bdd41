"""Dependencies shared by the API routes."""

from __future__ import annotations

from fastapi import Request

from hanoix.services.node import Node


def get_node(request: Request) -> Node:
    node = request.app.state.node
    assert isinstance(node, Node)
    return node
