package dev.streamfit.trainer;

import java.util.Locale;
import java.util.Objects;

/**
 * A learning-rate schedule: a factor of the configured rate as a pure function of the optimisation step.
 * The trainer applies {@code rate * factor(step)} before every step (head and fine-tuned blocks alike).
 * Immutable; validated on construction.
 *
 * <ul>
 *   <li>{@code constant}: 1.
 *   <li>{@code step}: {@code gamma^floor(step / steps)} (Keras {@code PiecewiseConstantDecay} at even steps).
 *   <li>{@code exponential}: {@code gamma^(step / steps)} (Keras {@code ExponentialDecay}).
 *   <li>{@code cosine}: from 1 down to {@code minFactor} over {@code steps} steps, then {@code minFactor}
 *       (Keras {@code CosineDecay} with {@code alpha = minFactor}).
 *   <li>{@code cyclical}: triangular between {@code minFactor} and 1, {@code steps} steps per half cycle,
 *       starting at {@code minFactor} (Smith 2017, "triangular").
 * </ul>
 *
 * @param kind the shape
 * @param steps period in steps (decay interval, cosine length or half cycle), >= 1
 * @param gamma decay factor of {@code step} and {@code exponential}, in (0, 1]
 * @param minFactor floor of {@code cosine} and {@code cyclical}, in [0, 1]
 */
public record LrSchedule(Kind kind, long steps, double gamma, double minFactor) {
  /** Schedule shapes. */
  public enum Kind { CONSTANT, STEP, EXPONENTIAL, COSINE, CYCLICAL }

  /** The constant schedule. */
  public static final LrSchedule CONSTANT = new LrSchedule(Kind.CONSTANT, 1, 1, 0);

  public LrSchedule {
    Objects.requireNonNull(kind, "kind");
    if (steps < 1) {
      throw new IllegalArgumentException("trainer.lr-schedule-steps must be >= 1, was " + steps + " (set --lr-schedule-steps)");
    }
    if (!(gamma > 0 && gamma <= 1)) {
      throw new IllegalArgumentException("trainer.lr-gamma must be in (0, 1], was " + gamma + " (set --lr-gamma)");
    }
    if (!(minFactor >= 0 && minFactor <= 1)) {
      throw new IllegalArgumentException("trainer.lr-min-factor must be in [0, 1], was " + minFactor + " (set --lr-min-factor)");
    }
  }

  /** Parses a kind name ({@code constant}, {@code step}, {@code exponential}, {@code cosine}, {@code cyclical}). */
  public static Kind parseKind(String s) {
    try {
      return Kind.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("trainer.lr-schedule must be one of constant, step, exponential, cosine, cyclical, was '"
          + s + "' (set --lr-schedule)");
    }
  }

  /** The factor at {@code step} (0-based), in [0, 1]. */
  public double factor(long step) {
    return switch (kind) {
      case CONSTANT -> 1.0;
      case STEP -> Math.pow(gamma, Math.floorDiv(step, steps));
      case EXPONENTIAL -> Math.pow(gamma, step / (double) steps);
      case COSINE -> minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(step, steps) / steps));
      case CYCLICAL -> {
        long phase = step % (2 * steps);
        double up = phase <= steps ? phase / (double) steps : (2 * steps - phase) / (double) steps;
        yield minFactor + (1 - minFactor) * up;
      }
    };
  }

  /** Short description for provenance, e.g. {@code cosine(steps=1000,min=0.01)}. */
  public String describe() {
    return switch (kind) {
      case CONSTANT -> "constant";
      case STEP, EXPONENTIAL -> kind.name().toLowerCase(Locale.ROOT) + "(steps=" + steps + ",gamma=" + gamma + ")";
      case COSINE, CYCLICAL -> kind.name().toLowerCase(Locale.ROOT) + "(steps=" + steps + ",min=" + minFactor + ")";
    };
  }
}
