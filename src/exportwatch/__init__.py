"""ExportWatch: foreign-trade order monitoring and early warning (外贸订单监测预警系统)."""

__version__ = "0.1.0"
