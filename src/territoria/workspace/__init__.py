"""A territory workspace: the folder a territory's data team owns and versions."""

from territoria.workspace.model import PackConfig, TerritoryConfig
from territoria.workspace.policies import Policies, load_policies
from territoria.workspace.workspace import Workspace, init_demo_workspace, init_workspace

__all__ = [
    "PackConfig",
    "Policies",
    "TerritoryConfig",
    "Workspace",
    "init_demo_workspace",
    "init_workspace",
    "load_policies",
]
