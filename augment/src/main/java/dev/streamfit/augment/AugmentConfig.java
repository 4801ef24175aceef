package dev.streamfit.augment;

import static dev.streamfit.common.ConfigChecks.range;

import dev.streamfit.augment.ops.AugmentSpec;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.schemas.Topics;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration of the augment stage. Immutable; validated on construction (errors name the key, the
 * bound, the value and the flag that sets it).
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param applicationId Kafka Streams {@code application.id} (consumer group, transactional id prefix)
 * @param topics topic catalogue
 * @param imageSize output side length in pixels (square), in [32, 1024]
 * @param epochs variants produced per train image (one per epoch, distinct seeds), in [1, 1000]
 * @param runSeed run seed from which every record's seed derives
 * @param spec random augmentation of train images
 * @param limits decode guards
 * @param streamThreads Kafka Streams threads, in [1, 64]
 * @param stateDir Kafka Streams state directory
 * @param epochMode how the epochs' variants are ordered on {@code images.augmented}
 * @param instanceId stable id of this instance for Kafka static membership ({@code group.instance.id}): a
 *     restarted instance takes its partitions back at once instead of after the dead one's session
 *     timeout; empty = dynamic membership
 */
public record AugmentConfig(String bootstrapServers, String applicationId, Topics topics, int imageSize, int epochs,
    long runSeed, AugmentSpec spec, DecodeLimits limits, int streamThreads, Path stateDir, EpochMode epochMode,
    String instanceId) {

  /** How a train image's per-epoch variants reach the trainer. */
  public enum EpochMode {
    /**
     * Epoch-major, as in offline training: pass 0 augments every image as it arrives (epoch 0, plus
     * validation/test and rejections); pass e (its own Kafka Streams application {@code <id>-epoch-<e>})
     * replays {@code images.raw} from the start once pass e-1 has caught up, producing epoch e's train
     * variants. Passes keep running, so later images get every epoch too.
     */
    PASSES,
    /** All epochs' variants of an image at once, as it arrives: lowest latency, epochs interleaved. */
    INTERLEAVED;

    /** Parses {@code passes} or {@code interleaved}; the error names the flag. */
    public static EpochMode parse(String s) {
      return switch (s) {
        case "passes" -> PASSES;
        case "interleaved" -> INTERLEAVED;
        default -> throw new IllegalArgumentException("augment.epoch-mode must be passes or interleaved, was '" + s
            + "' (set --epoch-mode)");
      };
    }
  }

  public AugmentConfig {
    Objects.requireNonNull(epochMode, "epochMode");
    Objects.requireNonNull(instanceId, "instanceId");
    if (!instanceId.matches("[A-Za-z0-9._-]{0,200}")) {
      throw new IllegalArgumentException("augment.instance-id must match [A-Za-z0-9._-]{0,200}, was '" + instanceId
          + "' (set --instance-id)");
    }
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(stateDir, "stateDir");
    range("augment.image-size", imageSize, 32, 1024, "--image-size");
    range("augment.epochs", epochs, 1, 1000, "--epochs");
    range("augment.stream-threads", streamThreads, 1, 64, "--stream-threads");
    if (applicationId.isBlank()) {
      throw new IllegalArgumentException("augment.application-id must not be blank (set --application-id)");
    }
  }

  /** Defaults for a pipeline on {@code bootstrapServers}: 224 px, 1 epoch, seed 42, 2 threads. */
  public static AugmentConfig defaults(String bootstrapServers, Topics topics, Path stateDir) {
    return new AugmentConfig(bootstrapServers, "streamfit-augment", topics, 224, 1, 42L, AugmentSpec.defaults(),
        DecodeLimits.defaults(), 2, stateDir, EpochMode.PASSES, "");
  }

  public AugmentConfig withEpochs(int n) {
    return new AugmentConfig(bootstrapServers, applicationId, topics, imageSize, n, runSeed, spec, limits, streamThreads,
        stateDir, epochMode, instanceId);
  }

  public AugmentConfig withEpochMode(EpochMode m) {
    return new AugmentConfig(bootstrapServers, applicationId, topics, imageSize, epochs, runSeed, spec, limits, streamThreads,
        stateDir, m, instanceId);
  }

  /** Number of Kafka Streams applications (passes over {@code images.raw}) this config runs. */
  public int passes() {
    return epochMode == EpochMode.PASSES ? epochs : 1;
  }

  /** Kafka Streams {@code application.id} of pass {@code pass} (pass 0 keeps {@link #applicationId()}). */
  public String applicationId(int pass) {
    return pass == 0 ? applicationId : applicationId + "-epoch-" + pass;
  }
}
