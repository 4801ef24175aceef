package dev.streamfit.trainer;

import dev.streamfit.trainer.internal.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A trainer's checkpoint directory as tools and operators read it (what a run trained, resumes from, and learned),
 * without the checkpoint's format. Stateless; reads files only.
 */
public final class Checkpoints {
  private Checkpoints() {}

  /**
   * One verified checkpoint.
   *
   * @param path its file
   * @param samplesTrained training samples it accounts for, each once
   * @param nextOffsets the next offset to read per {@code topic:partition}
   * @param model the training model's bytes (with updater state)
   * @param history its evaluations, oldest first
   * @param version the last model version it published; 0 if none
   */
  public record View(Path path, long samplesTrained, Map<String, Long> nextOffsets, byte[] model, List<EvalPoint> history,
      long version) {}

  /** The newest checkpoint in {@code dir} that verifies (older ones stand in for a damaged newest), or empty. */
  public static Optional<View> newest(Path dir) throws IOException {
    return Checkpoint.newestValid(dir, (f, why) -> { }).map(l -> {
      Checkpoint c = l.checkpoint();
      return new View(l.path(), c.samplesTrained(), c.nextOffsets(), c.model(), c.history(),
          c.state().judgement().version());
    });
  }

  /** The checkpoint files in {@code dir}, verified or not. */
  public static List<Path> list(Path dir) throws IOException {
    return Checkpoint.list(dir);
  }
}
