package dev.streamfit.pipeline;

import dev.streamfit.schemas.LabelSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A folder laid out as {@code <split>/<class>/<image>} as the demo reads it: its label set is the class
 * folders' names (sorted; union over the splits), its model name the folder's name. Immutable.
 *
 * @param dir the folder
 * @param modelName name the demo publishes versions under: the folder's name, lower case, [a-z0-9._-], starting
 *     with a letter or digit
 * @param labels the class folders' names, sorted, at least two
 */
public record Dataset(Path dir, String modelName, List<String> labels) {

  /**
   * Reads the class folders of {@code dir}.
   *
   * @throws IllegalArgumentException naming the folder and the layout when it has no split folder with at
   *     least two class folders holding images between them, or a class folder breaks the label rule
   *     ({@link LabelSet#fromFolders})
   */
  public static Dataset of(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--data " + dir + " is not a folder");
    }
    List<String> labels = LabelSet.fromFolders(dir, "--data " + dir).labels();
    String name = dir.toAbsolutePath().normalize().getFileName().toString().toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9._-]+", "-").replaceFirst("^[^a-z0-9]+", "");
    return new Dataset(dir, name.isEmpty() ? "model" : name, List.copyOf(labels));
  }

  /** The first image (sorted by path) under {@code sub}, e.g. {@code test}, if any. */
  public Optional<Path> firstImage(String sub) {
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

  public static boolean isImageName(Path p) {
    return LabelSet.isImageName(p.getFileName().toString());
  }

  /** The sample committed with the repository ({@code data/clothing-sample} under {@code streamfit.home}). */
  public static Path bundledSample() {
    Path home = Path.of(System.getProperty("streamfit.home", "."));
    Path p = home.resolve("data").resolve("clothing-sample");
    if (!Files.isDirectory(p)) {
      throw new IllegalArgumentException("bundled sample not found at " + p + " (run from the repo root or pass --data)");
    }
    return p;
  }
}
