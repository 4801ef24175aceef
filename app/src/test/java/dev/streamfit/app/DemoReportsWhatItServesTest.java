package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.testkit.ChildProcesses;
import dev.streamfit.testkit.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code streamfit demo --keep-serving}: the summary's and the RESULT lines' version and metrics are those of the
 * version {@code /v1/models} reports active once it prints them, and stay so. The trainer is set to hold candidates
 * (a publish margin no gain reaches, a short publish interval), so a held candidate is always re-judged after the
 * interval: the demo must wait for it rather than report what it will replace.
 */
class DemoReportsWhatItServesTest {
  @TempDir
  Path tmp;

  @Test
  void theResultLinesDescribeTheActiveVersionAndItStaysActive() throws Exception {
    Path data = TestImages.shapesDataset(tmp.resolve("shapes"), 12, 5, 28);
    Path log = tmp.resolve("demo.log");
    String root = System.getProperty("streamfit.root", "..");
    try (ChildProcesses children = new ChildProcesses()) {
      Process p = children.start(new ProcessBuilder(ChildProcesses.javaCommand(
          List.of("-Xmx2g", "-Dstreamfit.home=" + root), "dev.streamfit.app.Main",
          List.of("demo", "--data", data.toString(), "--epochs", "3", "--base", "scratch-cnn", "--image-size", "32",
              "--batch-size", "8", "--publish-margin", "0.99", "--publish-interval", "10", "--port", "0",
              "--timeout", "PT5M", "--work-dir", tmp.resolve("work").toString(), "--keep-serving")))
          .redirectErrorStream(true).redirectOutput(log.toFile()));
      String out = "";
      long deadline = System.nanoTime() + 6L * 60 * 1_000_000_000L;
      while (!out.contains("serving until interrupted") && p.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(500);
        out = Files.readString(log);
      }
      System.out.println(out);
      assertThat(out).as("demo output:%n%s", out).contains("serving until interrupted");
      long version = Long.parseLong(group(out, "model version +\\S+ v(\\d+)"));
      String val = group(out, "RESULT val\\.accuracy (\\S+)");
      String test = group(out, "RESULT test\\.accuracy (\\S+)");
      int port = Integer.parseInt(group(out, "serving until interrupted \\(Ctrl-C\\) at http://[^:]+:(\\d+)/"));
      for (int look = 0; look < 2; look++) { // now, and after more than twice the publish interval
        JsonNode models = new ObjectMapper().readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(models.get("activeVersion").asLong()).as("active version, look %d; demo output:%n%s", look, out)
            .isEqualTo(version);
        JsonNode metrics = models.get("active").get("metrics");
        assertThat(fmt(metrics.get("val.accuracy").asDouble())).isEqualTo(val);
        assertThat(fmt(metrics.get("test.accuracy").asDouble())).isEqualTo(test);
        Thread.sleep(12_000);
      }
      assertThat(out.lines().filter(l -> l.contains("ERROR") || l.startsWith("\tat "))).as(out).isEmpty();
    }
  }

  private static String group(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    assertThat(m.find()).as("/%s/ in:%n%s", regex, out).isTrue();
    return m.group(1);
  }

  private static String fmt(double d) {
    return String.format(Locale.ROOT, "%.4f", d);
  }
}
