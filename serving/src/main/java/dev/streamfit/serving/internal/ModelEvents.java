package dev.streamfit.serving.internal;

/** What a model registry reports to metrics: the version it made active, and versions it refused. Thread-safe. */
public interface ModelEvents {
  /** {@code version} is now the active one. */
  void activated(long version);

  /** A version was refused for {@code reason} (a stable code, e.g. sha256_mismatch). */
  void verificationFailed(String reason);

  /** The stable version was rolled back on live feedback. */
  void rolledBack();
}
