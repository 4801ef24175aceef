package dev.streamfit.trainer;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Snapshot of the trainer's progress. Immutable.
 *
 * @param steps optimisation steps taken (including steps restored from a checkpoint)
 * @param samplesTrained train samples consumed into the model
 * @param validationSamples validation samples held for evaluation
 * @param lastVersion last published model version (the champion), 0 if none
 * @param lastMetrics metrics of the last published version (empty if none)
 * @param lastCheckpoint last checkpoint written, null if none
 * @param failure why the trainer stopped, null while healthy
 * @param evaluatedSamples {@code samplesTrained} at the last evaluation (0 if none)
 * @param stoppedEarly true once early stopping ended training (the trainer then consumes nothing more)
 * @param history every evaluation so far, in order
 * @param settled idle with nothing it will do before new input arrives: no evaluation running or due, and no held
 *     candidate it will judge again (one held for the publish interval is judged again when the interval has
 *     passed, a worse one after rehearsal steps); until then a later version may still be published
 */
public record TrainerStatus(long steps, long samplesTrained, int validationSamples, long lastVersion,
    Map<String, Double> lastMetrics, Path lastCheckpoint, String failure, long evaluatedSamples,
    boolean stoppedEarly, List<EvalPoint> history, boolean settled) {
  public TrainerStatus {
    lastMetrics = Map.copyOf(lastMetrics);
    history = List.copyOf(history);
  }
}
