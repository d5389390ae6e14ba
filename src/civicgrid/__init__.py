"""civicgrid: grassroots governance and community services (基层治理服务平台)."""
