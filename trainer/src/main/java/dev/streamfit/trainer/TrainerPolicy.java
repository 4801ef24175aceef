package dev.streamfit.trainer;

/**
 * When the trainer evaluates, checkpoints, publishes and stops. Immutable; validated on construction
 * (errors name the key, the bound, the value and the flag).
 *
 * <p>Evaluation (validation and test accuracy, loss, per-class accuracy) happens at each epoch end, every
 * {@code evalEverySteps} steps, and when input has been idle for {@code idleMs}; each evaluation writes a
 * checkpoint, a {@code training.metrics} record and the learning curve, and publishes a model version
 * when validation accuracy beats the champion (the best published so far) by more than
 * {@code publishMargin}. Checkpoints are also written every {@code checkpointEverySteps} steps and every
 * {@code checkpointEverySeconds} seconds.
 *
 * @param idleMs evaluate after this long without new records, ms, in [100, 3600000]
 * @param evalEverySteps also evaluate every this many steps (0 = off)
 * @param checkpointEverySteps checkpoint every this many steps (0 = off)
 * @param checkpointEverySeconds checkpoint at least this often while training, seconds (0 = off)
 * @param keepCheckpoints newest checkpoints kept besides the best one, in [1, 100]
 * @param publishMargin publish when validation accuracy exceeds the champion's by more than this, in [-1, 1];
 *     negative publishes every evaluation
 * @param earlyStopPatience stop training after this many evaluations without a new best validation accuracy
 *     (0 = never)
 */
public record TrainerPolicy(long idleMs, int evalEverySteps, int checkpointEverySteps, long checkpointEverySeconds,
    int keepCheckpoints, double publishMargin, int earlyStopPatience) {

  /** Evaluate on idle and at epoch ends, checkpoint every 10 min, keep 3, publish any improvement, never stop. */
  public static final TrainerPolicy DEFAULTS = new TrainerPolicy(3000, 0, 0, 600, 3, 0.0, 0);

  public TrainerPolicy {
    if (idleMs < 100 || idleMs > 3_600_000) {
      throw new IllegalArgumentException("trainer.eval-idle-ms must be in [100, 3600000], was " + idleMs
          + " (set --eval-idle-ms)");
    }
    nonNegative("trainer.eval-every-steps", evalEverySteps, "--eval-every-steps");
    nonNegative("trainer.checkpoint-every-steps", checkpointEverySteps, "--checkpoint-every-steps");
    nonNegative("trainer.checkpoint-every-seconds", checkpointEverySeconds, "--checkpoint-every-seconds");
    nonNegative("trainer.early-stop-patience", earlyStopPatience, "--early-stop-patience");
    if (keepCheckpoints < 1 || keepCheckpoints > 100) {
      throw new IllegalArgumentException("trainer.keep-checkpoints must be in [1, 100], was " + keepCheckpoints
          + " (set --keep-checkpoints)");
    }
    if (!(publishMargin >= -1 && publishMargin <= 1)) {
      throw new IllegalArgumentException("trainer.publish-margin must be in [-1, 1], was " + publishMargin
          + " (set --publish-margin)");
    }
  }

  private static void nonNegative(String key, long v, String flag) {
    if (v < 0) {
      throw new IllegalArgumentException(key + " must be >= 0, was " + v + " (set " + flag + ")");
    }
  }

  /** Whether a candidate with validation accuracy {@code val} replaces a champion at {@code champion} (NaN = none). */
  public boolean beats(double val, double champion) {
    return publishMargin < 0 || Double.isNaN(champion) || Double.isNaN(val) || val > champion + publishMargin;
  }
}
