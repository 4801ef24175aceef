package dev.streamfit.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A folder laid out as {@code <split>/<class>/<image>} as the demo reads it: its label set is the class
 * folders' names (sorted; union over the splits), its model name the folder's name. Immutable.
 *
 * @param dir the folder
 * @param modelName name the demo publishes versions under: the folder's name, lower case, [a-z0-9._-]
 * @param labels the class folders' names, sorted, at least two
 */
record Dataset(Path dir, String modelName, List<String> labels) {
  static final List<String> SPLITS = List.of("train", "validation", "test");
  /** File name endings ingest takes from a folder (the decoder's allow-list: JPEG and PNG). */
  static final List<String> IMAGE_SUFFIXES = List.of(".jpg", ".jpeg", ".png");

  /**
   * Reads the class folders of {@code dir}.
   *
   * @throws IllegalArgumentException naming the folder and the layout when it has no split folder with at
   *     least two class folders between them
   */
  static Dataset of(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--data " + dir + " is not a folder");
    }
    TreeSet<String> labels = new TreeSet<>();
    for (String split : SPLITS) {
      Path s = dir.resolve(split);
      if (!Files.isDirectory(s)) {
        continue;
      }
      try (Stream<Path> classes = Files.list(s)) {
        classes.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
            .forEach(labels::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + s, e);
      }
    }
    for (String l : labels) {
      String why = dev.streamfit.schemas.Labels.problem(l);
      if (why != null) {
        throw new IllegalArgumentException("--data " + dir + ": class folder " + why + " (rename the folder)");
      }
    }
    if (labels.size() < 2) {
      throw new IllegalArgumentException("--data " + dir + " has " + labels.size() + " class folder(s) " + labels
          + "; expected <split>/<class>/<image> with split one of " + SPLITS + " and at least two classes");
    }
    String name = dir.toAbsolutePath().normalize().getFileName().toString().toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9._-]+", "-");
    return new Dataset(dir, name.isEmpty() ? "model" : name, List.copyOf(labels));
  }

  /** The first image (sorted by path) under {@code sub}, e.g. {@code test}, if any. */
  Optional<Path> firstImage(String sub) {
    Path d = dir.resolve(sub);
    if (!Files.isDirectory(d)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.walk(d)) {
      return s.filter(Files::isRegularFile).filter(Dataset::isImageName).sorted().findFirst();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean isImageName(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return IMAGE_SUFFIXES.stream().anyMatch(n::endsWith);
  }
}
