package dev.streamfit.trainer;

import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.HeadSpec;
import dev.streamfit.schemas.Topics;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the trainer stage. Immutable; validated on construction (errors name the key, the
 * bound, the value and the flag).
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param topics topic catalogue
 * @param groupId consumer group (offsets are committed for monitoring only; checkpoints hold the truth)
 * @param checkpointDir directory for checkpoints
 * @param modelName name under which versions are published
 * @param labels class labels, output index order; unique, 2..1000
 * @param base pretrained feature extractor (frozen)
 * @param imageSize input side, pixels; must match the augment stage's
 * @param learningRate Adam learning rate, in (0, 1]
 * @param batchSize minibatch size, in [1, 512]
 * @param seed weight-init seed
 * @param publishIdleMs after this long without new records, evaluate, checkpoint and publish, ms
 * @param publishEverySteps also publish every this many steps (0 = only when idle)
 * @param head trainable head on the frozen base (inner dense layer, dropout)
 * @param shuffleBuffer minibatches are drawn at random from this many buffered train samples, in [1, 100000]
 */
public record TrainerConfig(String bootstrapServers, Topics topics, String groupId, Path checkpointDir,
    String modelName, List<String> labels, BaseModel base, int imageSize, double learningRate, int batchSize,
    long seed, long publishIdleMs, int publishEverySteps, HeadSpec head, int shuffleBuffer) {

  /** The ten clothing-dataset-small classes in alphabetical (Keras flow_from_directory) order. */
  public static final List<String> CLOTHING_LABELS = List.of("dress", "hat", "longsleeve", "outwear", "pants",
      "shirt", "shoes", "shorts", "skirt", "t-shirt");

  public TrainerConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(checkpointDir, "checkpointDir");
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(head, "head");
    if (shuffleBuffer < 1 || shuffleBuffer > 100_000) {
      throw new IllegalArgumentException("trainer.shuffle-buffer must be in [1, 100000], was " + shuffleBuffer
          + " (set --shuffle-buffer)");
    }
    labels = List.copyOf(labels);
    if (labels.size() < 2 || labels.size() > 1000 || new HashSet<>(labels).size() != labels.size()) {
      throw new IllegalArgumentException("trainer.labels must be 2..1000 unique labels, was " + labels + " (set --labels)");
    }
    if (imageSize < 32 || imageSize > 1024) {
      throw new IllegalArgumentException("trainer.image-size must be in [32, 1024], was " + imageSize + " (set --image-size)");
    }
    if (!(learningRate > 0 && learningRate <= 1)) {
      throw new IllegalArgumentException("trainer.learning-rate must be in (0, 1], was " + learningRate + " (set --learning-rate)");
    }
    if (batchSize < 1 || batchSize > 512) {
      throw new IllegalArgumentException("trainer.batch-size must be in [1, 512], was " + batchSize + " (set --batch-size)");
    }
    if (publishIdleMs < 100 || publishIdleMs > 3_600_000) {
      throw new IllegalArgumentException("trainer.publish-idle-ms must be in [100, 3600000], was " + publishIdleMs
          + " (set --publish-idle-ms)");
    }
    if (publishEverySteps < 0) {
      throw new IllegalArgumentException("trainer.publish-every-steps must be >= 0, was " + publishEverySteps
          + " (set --publish-every-steps)");
    }
  }

  /** Defaults: clothing labels, MobileNetV2-0.35 at 224, Adam 1e-3, batch 16, seed 42, publish after 3 s idle. */
  public static TrainerConfig defaults(String bootstrapServers, Topics topics, Path checkpointDir) {
    return new TrainerConfig(bootstrapServers, topics, "streamfit-trainer", checkpointDir, "clothing",
        CLOTHING_LABELS, BaseModel.MOBILENET_V2_035, 224, 1e-3, 16, 42L, 3000, 0, HeadSpec.SOFTMAX, 256);
  }

  public TrainerConfig withBatchSize(int n) {
    return new TrainerConfig(bootstrapServers, topics, groupId, checkpointDir, modelName, labels, base, imageSize,
        learningRate, n, seed, publishIdleMs, publishEverySteps, head, shuffleBuffer);
  }

  public TrainerConfig withLearningRate(double lr) {
    return new TrainerConfig(bootstrapServers, topics, groupId, checkpointDir, modelName, labels, base, imageSize,
        lr, batchSize, seed, publishIdleMs, publishEverySteps, head, shuffleBuffer);
  }


  /** Key → value view recorded in model provenance. */
  public Map<String, String> asMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("model-name", modelName);
    m.put("base", base.id());
    m.put("image-size", String.valueOf(imageSize));
    m.put("labels", String.join(",", labels));
    m.put("optimizer", "adam");
    m.put("learning-rate", String.valueOf(learningRate));
    m.put("batch-size", String.valueOf(batchSize));
    m.put("seed", String.valueOf(seed));
    m.put("shuffle-buffer", String.valueOf(shuffleBuffer));
    m.put("head", head.describe());
    m.put("base-frozen", "true");
    m.put("input-topic", topics.augmented());
    return m;
  }
}
