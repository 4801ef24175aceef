package dev.streamfit.trainer.internal;

import dev.streamfit.common.Buffers;
import dev.streamfit.common.Hashes;
import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.engine.Classifier;
import dev.streamfit.engine.InputContract;
import dev.streamfit.engine.Models;
import dev.streamfit.engine.Predictor;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Topics;
import dev.streamfit.trainer.TrainerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The teacher of a distilling trainer: a published version read from {@code models} (its bytes checked against their
 * SHA-256), answering class probabilities for the student's samples, each brought to the teacher's own input contract.
 * Confined to the trainer thread; {@link #close} frees the model.
 */
public final class TeacherModel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TeacherModel.class);
  private static final AvroSerde<ModelVersion> VERSIONS = AvroSerde.of(ModelVersion.class);
  private final TrainerConfig.Teacher ref;
  private final Predictor predictor;
  private final InputContract contract;

  private TeacherModel(TrainerConfig.Teacher ref, Predictor predictor, InputContract contract) {
    this.ref = ref;
    this.predictor = predictor;
    this.contract = contract;
  }

  /**
   * Loads {@code config.teacher()} from the models topic: that version, or the newest of that name. Throws
   * IllegalStateException naming what is missing or wrong (no such model or version, another label set, bad bytes).
   */
  public static TeacherModel load(TrainerConfig config) {
    TrainerConfig.Teacher want = config.teacher();
    Topics t = config.topics();
    AtomicReference<ModelVersion> found = new AtomicReference<>();
    List<Long> seen = new ArrayList<>();
    TopicReader.readAll(config.bootstrapServers(), t.models(), TopicReader.End.LAST_STABLE, Duration.ofSeconds(60), r -> {
      if (r.value() == null) {
        return;
      }
      ModelVersion v;
      try {
        v = VERSIONS.decode(r.value());
      } catch (RuntimeException e) {
        return; // not a version (the serving stage reports such records)
      }
      if (String.valueOf(v.getModelName()).equals(want.modelName())) {
        seen.add(v.getVersion());
        boolean match = want.version() == 0 ? found.get() == null || v.getVersion() > found.get().getVersion()
            : v.getVersion() == want.version();
        if (match) {
          found.set(v);
        }
      }
    }, ClientProfile.reading(t.spec(t.models())));
    ModelVersion v = found.get();
    if (v == null) {
      throw new IllegalStateException("trainer.distill-from: " + (seen.isEmpty() ? "no version of model '"
          + want.modelName() + "'" : "model '" + want.modelName() + "' has no version " + want.version() + " (it has "
          + seen + ")") + " on " + t.models() + " at " + config.bootstrapServers()
          + "; train the teacher first or name one that is there (--distill-from NAME[@VERSION])");
    }
    String sha = Hashes.sha256Hex(v.getModelBytes());
    if (!sha.equals(v.getSha256())) {
      throw new IllegalStateException("teacher " + want.modelName() + " v" + v.getVersion() + ": its bytes hash to " + sha
          + ", the record says " + v.getSha256());
    }
    List<String> labels = v.getLabels().stream().map(String::valueOf).toList();
    if (!labels.equals(config.labels())) {
      throw new IllegalStateException("teacher " + want.modelName() + " v" + v.getVersion() + " answers labels " + labels
          + "; the student's are " + config.labels() + ": distil with the teacher's label set, in its order");
    }
    if (!Models.FORMAT.equals(String.valueOf(v.getFormat()))) {
      throw new IllegalStateException("teacher " + want.modelName() + " v" + v.getVersion() + " has format " + v.getFormat()
          + ", not " + Models.FORMAT);
    }
    InputContract contract = InputContract.fromSpec(v.getInput());
    Classifier model;
    try {
      model = Classifier.fromBytes(Buffers.copyOf(v.getModelBytes()), false, contract);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("teacher " + want.modelName() + " v" + v.getVersion() + " does not load: " + e, e);
    }
    TrainerConfig.Teacher resolved = new TrainerConfig.Teacher(want.modelName(), v.getVersion());
    LOG.info("distilling from {} ({} px input, {} parameters, val accuracy {})", resolved, contract.height(),
        model.parameterCount(), v.getMetrics().get("val.accuracy"));
    return new TeacherModel(resolved, model.toPredictor(labels, 0), contract);
  }

  /** The version taken (never version 0). */
  public TrainerConfig.Teacher ref() {
    return ref;
  }

  /** The teacher's class probabilities for {@code pixels} (uint8 HWC RGB, each {@code height}x{@code width}). */
  public double[][] probabilities(List<byte[]> pixels, int height, int width) {
    return predictor.probabilities(pixels.stream().map(p -> contract.fit(p, height, width)).toList());
  }

  @Override
  public void close() {
    predictor.close();
  }
}
