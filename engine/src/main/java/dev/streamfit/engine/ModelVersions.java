package dev.streamfit.engine;

import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Provenance;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that builds {@link ModelVersion} records: the engine's format, the weights' SHA-256, the label set and
 * input contract the weights were trained for, metrics and provenance. Stateless and thread-safe.
 */
public final class ModelVersions {
  private ModelVersions() {}

  /**
   * Version {@code version} of model {@code name}, created now.
   *
   * @param model weights as {@link Models#toBytes} writes them (not copied: the caller must not change them)
   * @param labels class names in output order
   * @param metrics e.g. {@code val.accuracy}; copied
   */
  public static ModelVersion of(String name, long version, byte[] model, List<String> labels, InputContract input,
      Map<String, Double> metrics, Provenance provenance) {
    return ModelVersion.newBuilder().setModelName(name).setVersion(version).setCreatedAt(Instant.now())
        .setFormat(Models.FORMAT).setModelBytes(ByteBuffer.wrap(model)).setSha256(Hashes.sha256Hex(model))
        .setLabels(List.copyOf(labels)).setInput(input.toSpec()).setMetrics(new LinkedHashMap<>(metrics))
        .setProvenance(provenance).build();
  }

  /** Provenance of a version not trained from a stream (a benchmark's or a fixture's): no offsets, no steps. */
  public static Provenance untrained(String baseModel, long runSeed) {
    return Provenance.newBuilder().setBaseModel(baseModel).setRunSeed(runSeed).setConfig(Map.of())
        .setOffsets(List.of()).setSteps(0).setSamplesTrained(0).build();
  }
}
