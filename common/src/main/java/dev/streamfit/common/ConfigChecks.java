package dev.streamfit.common;

/**
 * The one form of a stage config's range error: {@code <key> must be in [min, max], was <value> (set <flag>)}.
 * Stateless.
 */
public final class ConfigChecks {
  private ConfigChecks() {}

  /** Throws IllegalArgumentException naming {@code key}, the bounds, {@code value} and {@code flag} when out of range. */
  public static void range(String key, long value, long min, long max, String flag) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(key + " must be in [" + min + ", " + max + "], was " + value + " (set " + flag + ")");
    }
  }
}
