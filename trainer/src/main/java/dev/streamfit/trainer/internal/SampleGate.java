package dev.streamfit.trainer.internal;

import dev.streamfit.engine.Activations;
import dev.streamfit.engine.FrozenPrefix;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.trainer.TrainerConfig;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which samples the trainer may train on. Reading pixels: {@code size × size × 3} of them. Reading activations: those
 * of its own frozen prefix (same hash) whose bytes fit their shape; activations of another prefix are skipped, not
 * refused (the features stage may still run an old base, size or cut, or its new application may be recomputing
 * them), with one warning per prefix. Not thread-safe (the trainer thread's).
 */
public final class SampleGate {
  private static final Logger LOG = LoggerFactory.getLogger(SampleGate.class);

  /** What to do with a sample. */
  public enum Verdict {
    /** Train or evaluate on it. */
    TAKE,
    /** Activations of another prefix: pass over it. */
    SKIP,
    /** Not usable: dead-letter it with {@link #reason}. */
    REFUSE
  }

  private final FrozenPrefix prefix; // null when reading pixels
  private final String hash;
  private final String topic;
  private final int size;
  private final Set<String> warned = new HashSet<>();
  private long skipped;
  private String reason;

  public SampleGate(TrainerConfig config) {
    boolean features = config.input() == TrainerConfig.Input.FEATURES;
    this.prefix = features ? config.prefix() : null;
    this.hash = features ? prefix.hash() : null;
    this.topic = config.inputTopic();
    this.size = config.sampleSize();
  }

  /** The verdict on {@code s}; after {@link Verdict#REFUSE}, {@link #reason()} says why. */
  public Verdict check(AugmentedSample s) {
    if (prefix == null) {
      if (s.getHeight() != size || s.getWidth() != size || s.getChannels() != 3
          || s.getPixels().remaining() != size * size * 3) {
        reason = "sample is " + s.getHeight() + "x" + s.getWidth() + "x" + s.getChannels() + " with "
            + s.getPixels().remaining() + " bytes; trainer expects " + size + "x" + size + "x3";
        return Verdict.REFUSE;
      }
      return Verdict.TAKE;
    }
    var a = s.getActivations();
    if (a == null) {
      reason = "sample has pixels, not activations; this trainer reads " + topic + " for activations of "
          + prefix.describe();
      return Verdict.REFUSE;
    }
    if (!a.getPrefix().equals(hash)) {
      if (warned.add(a.getPrefix())) {
        LOG.warn("skipping activations of another frozen prefix ({}, cut {}) on {}; this trainer needs {} ({}): run the"
            + " features stage with the trainer's --base, --image-size and --fine-tune-blocks",
            a.getPrefix().substring(0, Math.min(12, a.getPrefix().length())), a.getCut(), topic, prefix.shortHash(),
            prefix.describe());
      }
      skipped++;
      return Verdict.SKIP;
    }
    try {
      long want = 2L * Activations.size(a.getShape());
      if (a.getFp16().remaining() != want) {
        reason = "activations of shape " + a.getShape() + " need " + want + " bytes of fp16, got " + a.getFp16().remaining();
        return Verdict.REFUSE;
      }
    } catch (IllegalArgumentException e) {
      reason = "activations: " + e.getMessage();
      return Verdict.REFUSE;
    }
    return Verdict.TAKE;
  }

  /** Why the last {@link Verdict#REFUSE}. */
  public String reason() {
    return reason;
  }

  /** Samples skipped as another prefix's. */
  public long skipped() {
    return skipped;
  }
}
