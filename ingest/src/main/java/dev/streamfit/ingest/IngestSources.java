package dev.streamfit.ingest;

import dev.streamfit.schemas.Split;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The ways files reach {@code ingest} besides a {@code <split>/<class>/} folder: a flat folder with a labels
 * CSV, files and globs, a list of paths (e.g. on stdin). Stateless.
 */
public final class IngestSources {
  private IngestSources() {}

  /**
   * Rows {@code path,label[,split]} of a labels CSV (paths relative to the CSV's folder; an empty label means
   * unlabeled; split defaults to train for labelled rows; a first row {@code path,label…} is a header).
   */
  public static List<IngestItem> fromCsv(Path csv) {
    List<IngestItem> out = new ArrayList<>();
    Path dir = csv.toAbsolutePath().getParent();
    try (BufferedReader r = Files.newBufferedReader(csv)) {
      int n = 0;
      for (String line; (line = r.readLine()) != null; ) {
        n++;
        if (line.isBlank() || (n == 1 && line.toLowerCase(Locale.ROOT).startsWith("path,"))) {
          continue;
        }
        out.add(row(line, dir, csv + ":" + n));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read labels CSV " + csv, e);
    }
    return out;
  }

  /** Lines {@code path[,label[,split]]} (blank lines skipped), paths relative to {@code base}. */
  public static List<IngestItem> fromLines(BufferedReader lines, Path base) {
    List<IngestItem> out = new ArrayList<>();
    try {
      int n = 0;
      for (String line; (line = lines.readLine()) != null; ) {
        n++;
        if (!line.isBlank()) {
          out.add(row(line, base, "line " + n));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the list of paths", e);
    }
    return out;
  }

  /**
   * Files and globs ({@code photos/*.jpg}, {@code "shots/**.png"}), relative to {@code base}, all with the
   * given split and label (label null = unlabeled). A pattern that matches nothing is an error.
   */
  public static List<IngestItem> fromPaths(List<String> patterns, Path base, Split split, String label) {
    List<IngestItem> out = new ArrayList<>();
    for (String pattern : patterns) {
      if (!pattern.contains("*") && !pattern.contains("?") && !pattern.contains("[") && !pattern.contains("{")) {
        Path p = base.resolve(pattern);
        if (!Files.isRegularFile(p)) {
          throw new IllegalArgumentException("ingest: no such file " + p);
        }
        out.add(new IngestItem(p, pattern, split, label));
        continue;
      }
      Path root = base.resolve(globRoot(pattern));
      PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + base.resolve(pattern).normalize());
      int before = out.size();
      if (!Files.isDirectory(root)) {
        throw new IllegalArgumentException("ingest: the pattern '" + pattern + "' matches no file (no folder " + root + ")");
      }
      try (Stream<Path> walk = Files.walk(root)) {
        walk.filter(Files::isRegularFile).filter(p -> m.matches(p.normalize())).sorted()
            .forEach(p -> out.add(new IngestItem(p, base.relativize(p).toString(), split, label)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + root, e);
      }
      if (out.size() == before) {
        throw new IllegalArgumentException("ingest: the pattern '" + pattern + "' matches no file under " + base);
      }
    }
    return out;
  }

  private static IngestItem row(String line, Path base, String where) {
    String[] f = line.split(",", -1);
    if (f.length > 3) {
      throw new IllegalArgumentException(where + ": expected path[,label[,split]], got '" + line + "'");
    }
    String path = f[0].trim();
    String label = f.length > 1 ? f[1].trim() : "";
    Split split = f.length > 2 && !f[2].isBlank() ? parseSplit(f[2].trim(), where) : label.isEmpty() ? Split.UNLABELED : Split.TRAIN;
    Path file = base.resolve(path);
    return new IngestItem(file, path, split, label.isEmpty() ? null : label);
  }

  /** train, validation|val, test or unlabeled. */
  public static Split parseSplit(String s, String where) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "train" -> Split.TRAIN;
      case "validation", "val" -> Split.VALIDATION;
      case "test" -> Split.TEST;
      case "unlabeled" -> Split.UNLABELED;
      default -> throw new IllegalArgumentException(where + ": split must be train, validation, test or unlabeled, was '" + s + "'");
    };
  }

  /** The leading part of a glob without wildcards (where to start walking). */
  static String globRoot(String pattern) {
    String[] parts = pattern.split("/");
    StringBuilder b = new StringBuilder();
    for (String part : parts) {
      if (part.contains("*") || part.contains("?") || part.contains("[") || part.contains("{")) {
        break;
      }
      if (b.length() > 0 || pattern.startsWith("/")) {
        b.append('/');
      }
      b.append(part);
    }
    return b.length() == 0 ? "." : b.toString();
  }
}
