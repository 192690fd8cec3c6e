"""The notification subgraph: in-app notifications, preferences with quiet hours, push through FCM HTTP v1."""
