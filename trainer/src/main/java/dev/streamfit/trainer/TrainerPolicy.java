package dev.streamfit.trainer;

/**
 * When the trainer evaluates, checkpoints, publishes and stops. Immutable; validated on construction
 * (errors name the key, the bound, the value and the flag).
 *
 * <p>Evaluation happens at each epoch end, every {@code evalEverySteps} steps, when input has been idle for
 * {@code idleMs}, and when new data has been trained and {@code publishIntervalMs} has passed since the last
 * evaluation. It runs beside training, on a snapshot: the candidate and the champion (re-scored whenever the validation
 * window changed) are compared sample by sample on the same window, and the candidate is published when it is
 * significantly better (McNemar, p &lt; {@code significance}) by more than {@code publishMargin}, or, at most every
 * {@code publishIntervalMs}, when it has new data and is not worse; a worse candidate never is (see
 * {@code Promotion}). When trained data waits to be served and input is idle, a candidate held only by the interval is
 * judged again once it has passed, and one held as worse is consolidated (replay-only steps, with rehearsal on) and
 * judged again. Each evaluation writes a checkpoint, a {@code training.metrics} record and the learning curve.
 * Checkpoints are also written every {@code checkpointEverySteps} steps and every {@code checkpointEverySeconds}.
 *
 * @param idleMs evaluate after this long without new records, ms, in [100, 3600000]
 * @param evalEverySteps also evaluate every this many steps (0 = off)
 * @param checkpointEverySteps checkpoint every this many steps (0 = off)
 * @param checkpointEverySeconds checkpoint at least this often while training, seconds (0 = off)
 * @param keepCheckpoints newest checkpoints kept besides the best one, in [1, 100]
 * @param publishMargin accuracy gain over the champion needed to publish as better, in [-1, 1]; negative publishes
 *     every evaluation
 * @param earlyStopPatience stop training after this many evaluations without a new best validation accuracy
 *     (0 = never)
 * @param publishIntervalMs freshness: evaluate, and publish a candidate that is not worse, at most this often while new
 *     data is trained, ms (0 = publish only significant improvements), in [0, 86400000]
 * @param significance McNemar p-value below which a gain counts as real, in (0, 1]
 * @param driftThreshold per-label accuracy drop of the champion on the recent window, against its accuracy when
 *     published, that raises a drift event, in (0, 1] (1 = off)
 */
public record TrainerPolicy(long idleMs, int evalEverySteps, int checkpointEverySteps, long checkpointEverySeconds,
    int keepCheckpoints, double publishMargin, int earlyStopPatience, long publishIntervalMs, double significance,
    double driftThreshold) {

  /**
   * Evaluate on idle, at epoch ends and every 20 s of new data; checkpoint every 10 min (and at each evaluation); keep
   * 3; publish significant improvements (p &lt; 0.05) at once and fresher not-worse versions every 20 s; drift at 0.2.
   */
  public static final TrainerPolicy DEFAULTS = new TrainerPolicy(3000, 0, 0, 600, 3, 0.0, 0, 20_000, 0.05, 0.2);

  /** The first seven components with the defaults' freshness, significance and drift. */
  public TrainerPolicy(long idleMs, int evalEverySteps, int checkpointEverySteps, long checkpointEverySeconds,
      int keepCheckpoints, double publishMargin, int earlyStopPatience) {
    this(idleMs, evalEverySteps, checkpointEverySteps, checkpointEverySeconds, keepCheckpoints, publishMargin,
        earlyStopPatience, 20_000, 0.05, 0.2);
  }

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
    if (publishIntervalMs < 0 || publishIntervalMs > 86_400_000) {
      throw new IllegalArgumentException("trainer.publish-interval must be in [0, 86400] s, was " + publishIntervalMs / 1000.0
          + " s (set --publish-interval)");
    }
    if (!(significance > 0 && significance <= 1)) {
      throw new IllegalArgumentException("trainer.significance must be in (0, 1], was " + significance
          + " (set --significance)");
    }
    if (!(driftThreshold > 0 && driftThreshold <= 1)) {
      throw new IllegalArgumentException("trainer.drift-threshold must be in (0, 1], was " + driftThreshold
          + " (set --drift-threshold)");
    }
  }

  private static void nonNegative(String key, long v, String flag) {
    if (v < 0) {
      throw new IllegalArgumentException(key + " must be >= 0, was " + v + " (set " + flag + ")");
    }
  }

}
