package dev.streamfit.serving;

import dev.streamfit.engine.Predictor;
import dev.streamfit.schemas.ModelVersion;
import java.time.Instant;

/**
 * The model version currently answering, with its metadata ({@code modelBytes} cleared). Immutable;
 * the predictor is thread-safe.
 */
public record ActiveModel(ModelVersion metadata, Predictor predictor, Instant activatedAt) {
  public long version() {
    return metadata.getVersion();
  }
}
