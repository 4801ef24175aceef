package dev.streamfit.ingest;

import dev.streamfit.schemas.Split;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One file to ingest. Immutable.
 *
 * @param file the file to read
 * @param source where it came from, as recorded on the record (e.g. its path relative to the folder)
 * @param split its split; {@link Split#UNLABELED} when it has no label
 * @param label its class label, or null when unlabeled
 */
public record IngestItem(Path file, String source, Split split, String label) {
  public IngestItem {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(split, "split");
    if (label != null && label.isBlank()) {
      label = null;
    }
    if (label == null) {
      split = Split.UNLABELED;
    } else if (split == Split.UNLABELED) {
      throw new IllegalArgumentException(source + ": a labelled image needs a split (train, validation, test)");
    }
  }
}
