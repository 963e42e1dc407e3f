"""Static assets: the manifest of the [assets] folder (`manifest`), its upload session (`upload`),
and the serving rules `cfworker dev` applies (`serve`)."""
