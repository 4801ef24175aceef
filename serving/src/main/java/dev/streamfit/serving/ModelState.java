package dev.streamfit.serving;

import dev.streamfit.schemas.ModelVersion;
import java.time.Instant;

/**
 * What serving knows about one published version. Immutable.
 *
 * @param metadata the version's record without its model bytes
 * @param partition partition of its {@code models} record
 * @param offset offset of its {@code models} record
 * @param status where it stands (see {@link ModelStatus})
 * @param reason why it was rejected, retired or rolled back; may be null
 * @param changedAt when the status last changed
 */
public record ModelState(ModelVersion metadata, int partition, long offset, ModelStatus status, String reason,
    Instant changedAt) {
  public long version() {
    return metadata.getVersion();
  }

  /** This state with another status and reason, changed now. */
  public ModelState with(ModelStatus newStatus, String newReason) {
    return new ModelState(metadata, partition, offset, newStatus, newReason, Instant.now());
  }
}
