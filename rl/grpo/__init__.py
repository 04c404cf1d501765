"""GRPO's math as small pure functions over arrays, each registered by name and chosen in
the `grpo` config section: advantage estimators, policy losses, loss aggregations, KL
estimators, importance correction for stale rollouts, dynamic sampling, overlong
filtering and the format penalty. No model, optimiser or I/O lives here."""
