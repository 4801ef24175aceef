package dev.streamfit.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The classes a model tells apart, in output order: one concept for ingest (which labels it accepts), the trainer
 * (the head's outputs) and serving (the names of a version's outputs). Built from a list ({@code --labels a,b,c}), a
 * file (one label per line) or the class folders of a {@code <split>/<class>/<image>} dataset. Each label follows
 * {@link Labels#RULE}; labels are distinct even ignoring case ({@code Hat} and {@code hat} would merge on a
 * case-insensitive file system, so they are refused, not merged); 2 to {@value #MAX_CLASSES} of them. Immutable.
 */
public final class LabelSet {
  /** Most classes one model may have. */
  public static final int MAX_CLASSES = 1000;
  /** Folders of a dataset root read as splits, never as classes. */
  public static final List<String> SPLITS = List.of("train", "validation", "val", "test");

  private final List<String> labels;
  private final Map<String, Integer> index = new HashMap<>();

  private LabelSet(List<String> labels) {
    this.labels = List.copyOf(labels);
    for (int i = 0; i < this.labels.size(); i++) {
      index.put(this.labels.get(i), i);
    }
  }

  /**
   * The labels in the order given; throws IllegalArgumentException naming {@code key} and what is wrong (a label
   * breaking the rule, a duplicate, labels differing only in case, fewer than 2 or more than {@value #MAX_CLASSES}).
   */
  public static LabelSet of(List<String> labels, String key) {
    Objects.requireNonNull(labels, "labels");
    if (labels.size() < 2 || labels.size() > MAX_CLASSES) {
      throw new IllegalArgumentException(key + " must name 2 to " + MAX_CLASSES + " classes, named " + labels.size()
          + (labels.size() <= 10 ? " " + labels : ""));
    }
    Map<String, String> folded = new HashMap<>();
    for (String l : labels) {
      String why = Labels.problem(l);
      if (why != null) {
        throw new IllegalArgumentException(key + ": " + why);
      }
      String prev = folded.put(l.toLowerCase(Locale.ROOT), l);
      if (prev != null) {
        throw new IllegalArgumentException(key + ": " + (prev.equals(l) ? "label '" + l + "' appears twice"
            : "labels '" + prev + "' and '" + l + "' differ only in case; rename one"));
      }
    }
    return new LabelSet(labels);
  }

  /**
   * This set with {@code label} appended (a label set that grows keeps every index it had); throws
   * IllegalArgumentException naming {@code key} when the label breaks the rule, is already here (in any case) or
   * the set is full.
   */
  public LabelSet plus(String label, String key) {
    List<String> more = new ArrayList<>(labels);
    more.add(label);
    return of(more, key);
  }

  /** {@code a,b,c} (spaces around commas ignored). */
  public static LabelSet parse(String csv, String key) {
    return of(Arrays.stream(csv.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList(), key);
  }

  /** One label per line of {@code file}; blank lines and lines starting with {@code #} skipped. */
  public static LabelSet fromFile(Path file, String key) {
    try (Stream<String> lines = Files.lines(file)) {
      return of(lines.map(String::strip).filter(s -> !s.isEmpty() && !s.startsWith("#")).toList(), key + " (" + file + ")");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read labels file " + file, e);
    }
  }

  /**
   * The class folders of a {@code <split>/<class>/<image>} dataset, sorted (Keras {@code flow_from_directory}
   * order): every folder under a split folder that holds at least one JPEG, PNG or WebP file; hidden folders and
   * folders without images are not classes.
   */
  public static LabelSet fromFolders(Path root, String key) { // key names the root, e.g. "--data DIR"
    TreeSet<String> found = new TreeSet<>();
    for (String split : SPLITS) {
      Path s = root.resolve(split);
      if (!Files.isDirectory(s)) {
        continue;
      }
      try (Stream<Path> classes = Files.list(s)) {
        classes.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().startsWith("."))
            .filter(LabelSet::holdsImages).forEach(d -> found.add(d.getFileName().toString()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + s, e);
      }
    }
    if (found.size() < 2) {
      throw new IllegalArgumentException(key + " has " + found.size() + " class folder(s) with images "
          + found + "; expected <split>/<class>/<image> with at least two classes (splits: train, validation|val, test)");
    }
    return of(new ArrayList<>(found), key + " (its class folders)");
  }

  private static boolean holdsImages(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(f -> Files.isRegularFile(f) && isImageName(f.getFileName().toString()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /** Whether a file name has an image extension the decoder's allow-list reads (jpg, jpeg, png, webp; any case). */
  public static boolean isImageName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png") || n.endsWith(".webp");
  }

  /** The labels in output order. */
  public List<String> labels() {
    return labels;
  }

  public int size() {
    return labels.size();
  }

  /** The output index of {@code label}, or -1 when it is not in the set. */
  public int indexOf(String label) {
    Integer i = index.get(label);
    return i == null ? -1 : i;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelSet s && s.labels.equals(labels);
  }

  @Override
  public int hashCode() {
    return labels.hashCode();
  }

  @Override
  public String toString() {
    return labels.toString();
  }
}
