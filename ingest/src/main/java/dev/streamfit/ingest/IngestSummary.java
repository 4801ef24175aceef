package dev.streamfit.ingest;

import java.util.Map;

/**
 * What one ingest run did.
 *
 * @param published records written to images.raw
 * @param rejected files sent to images.rejected (e.g. too large, unreadable)
 * @param bytes encoded bytes published
 * @param perSplit published records per split name
 * @param seconds wall time
 */
public record IngestSummary(long published, long rejected, long bytes, Map<String, Long> perSplit, double seconds) {
  public IngestSummary {
    perSplit = Map.copyOf(perSplit);
  }
}
