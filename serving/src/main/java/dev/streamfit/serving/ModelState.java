package dev.streamfit.serving;

import dev.streamfit.schemas.ModelVersion;
import java.time.Instant;

/**
 * What serving knows about one published version. Immutable.
 *
 * @param metadata the version's record without its model bytes
 * @param partition partition of its {@code models} record
 * @param offset offset of its {@code models} record
 * @param status {@code available} (seen, not loaded), {@code active} (stable), {@code canary} or {@code shadow}
 *     (a candidate on part of, or a copy of, live traffic), {@code held} (serving was pinned), {@code retired} (was
 *     active or a candidate), {@code rejected} (failed verification), {@code skipped} (not newer than the active
 *     version), {@code rolled_back} (live feedback found it worse than the version before it)
 * @param reason why it was rejected, retired or rolled back; may be null
 * @param changedAt when the status last changed
 */
public record ModelState(ModelVersion metadata, int partition, long offset, String status, String reason,
    Instant changedAt) {
  public long version() {
    return metadata.getVersion();
  }

  /** This state with another status and reason, changed now. */
  public ModelState with(String newStatus, String newReason) {
    return new ModelState(metadata, partition, offset, newStatus, newReason, Instant.now());
  }
}
