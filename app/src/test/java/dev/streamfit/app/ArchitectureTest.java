package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module rules a reader relies on, checked over every module's sources: a module's {@code internal} packages
 * are its own (no other module imports them, main or test code), and no main source file is over 400 lines (the
 * style check holds that too). Module {@code x} owns package {@code dev.streamfit.x}.
 */
class ArchitectureTest {
  private static final Path ROOT = Path.of(System.getProperty("streamfit.root", "..")).toAbsolutePath().normalize();
  private static final Pattern INTERNAL = Pattern.compile("\\bdev\\.streamfit\\.([a-z]+)\\.(?:[a-z]+\\.)*internal\\b");

  @Test
  void internalPackagesStayInTheirModule() throws IOException {
    List<String> crossings = new ArrayList<>();
    for (Path module : modules()) {
      String own = module.getFileName().toString();
      for (Path f : sources(module, "src/main/java", "src/test/java")) {
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
          Matcher m = INTERNAL.matcher(lines.get(i));
          while (m.find()) {
            if (!m.group(1).equals(own) && !lines.get(i).trim().startsWith("*") && !lines.get(i).trim().startsWith("//")) {
              crossings.add(ROOT.relativize(f) + ":" + (i + 1) + " uses " + m.group());
            }
          }
        }
      }
    }
    assertThat(crossings).as("imports of another module's internal package").isEmpty();
  }

  @Test
  void noMainSourceFileOver400Lines() throws IOException {
    List<String> long_ = new ArrayList<>();
    for (Path module : modules()) {
      for (Path f : sources(module, "src/main/java")) {
        long n = Files.readAllLines(f).size();
        if (n > 400) {
          long_.add(ROOT.relativize(f) + " has " + n + " lines");
        }
      }
    }
    assertThat(long_).isEmpty();
  }

  @Test
  void everyModuleIsSeen() throws IOException {
    assertThat(modules().stream().map(p -> p.getFileName().toString()))
        .contains("schemas", "common", "ingest", "augment", "features", "trainer", "serving", "engine", "app");
  }

  private static List<Path> modules() throws IOException {
    try (Stream<Path> s = Files.list(ROOT)) {
      return s.filter(p -> Files.exists(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("src"))).sorted().toList();
    }
  }

  private static List<Path> sources(Path module, String... roots) throws IOException {
    List<Path> out = new ArrayList<>();
    for (String r : roots) {
      Path dir = module.resolve(r);
      if (Files.isDirectory(dir)) {
        try (Stream<Path> s = Files.walk(dir)) {
          s.filter(p -> p.toString().endsWith(".java")).forEach(out::add);
        }
      }
    }
    return out;
  }
}
