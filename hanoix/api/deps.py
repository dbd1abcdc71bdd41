"""Dependencies shared by the API routes."""

from __future__ import annotations

from fastapi import Request

from hanoix.services.node import Node


async def get_node(request: Request) -> Node:
    # async: FastAPI runs a plain function dependency in a worker thread, a hop per call.
    node = request.app.state.node
    assert isinstance(node, Node)
    return node
