package dev.streamfit.serving;

import java.util.Locale;

/** Where a published version stands in serving; {@link #code()} is what the API and the page show. */
public enum ModelStatus {
  /** Seen on the topic, not loaded. */
  AVAILABLE,
  /** The stable version: answers requests. */
  ACTIVE,
  /** A candidate answering a share of requests. */
  CANARY,
  /** A candidate answering copies of requests. */
  SHADOW,
  /** Verified while serving was pinned; released. */
  HELD,
  /** Was active or a candidate; replaced or judged out. */
  RETIRED,
  /** Failed verification. */
  REJECTED,
  /** Not newer than the active version. */
  SKIPPED,
  /** Live feedback found it worse than the version before it. */
  ROLLED_BACK;

  /** Lower-case name, e.g. {@code rolled_back}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return code();
  }
}
