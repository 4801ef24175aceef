package dev.streamfit.ingest;

import java.util.Map;

/**
 * What one ingest run did.
 *
 * @param published records written to images.raw
 * @param rejected files sent to images.rejected (sum of {@code rejectedByReason}); content refused in an earlier run
 *     is refused again, for the same reason, and counted here again
 * @param bytes encoded bytes published
 * @param perSplit published records per split name
 * @param seconds wall time
 * @param duplicates files skipped because their content was already published before
 * @param rejectedByReason rejected files per reason code (e.g. corrupt_image, unknown_label)
 * @param startupSeconds part of {@code seconds} before the first image could be published: topics checked,
 *     {@code images.index} read, transactional producer initialised (files are already being read meanwhile)
 */
public record IngestSummary(long published, long rejected, long bytes, Map<String, Long> perSplit, double seconds,
    long duplicates, Map<String, Long> rejectedByReason, double startupSeconds) {
  public IngestSummary {
    perSplit = Map.copyOf(perSplit);
    rejectedByReason = Map.copyOf(rejectedByReason);
  }

  /** Published megabytes per second of wall time. */
  public double megabytesPerSecond() {
    return bytes / 1e6 / Math.max(1e-9, seconds);
  }
}
