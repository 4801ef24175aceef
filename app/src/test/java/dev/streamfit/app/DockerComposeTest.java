package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** docker-compose.yml cannot start here (no Docker); check that it invokes real CLI subcommands. */
class DockerComposeTest {
  @Test
  void everyStageServiceRunsARealSubcommandWithValidOptions() throws Exception {
    Path compose = Path.of(System.getProperty("streamfit.root", "..")).resolve("docker-compose.yml");
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(compose.toFile());
    JsonNode services = root.get("services");
    assertThat(services.has("kafka")).isTrue();
    assertThat(services.get("kafka").get("image").asText()).startsWith("apache/kafka:");
    Set<String> subcommands = Main.commandLine().getSubcommands().keySet();
    List<String> stages = new ArrayList<>();
    services.fields().forEachRemaining(e -> {
      if (e.getKey().equals("kafka")) {
        return;
      }
      List<String> cmd = new ArrayList<>();
      e.getValue().get("command").forEach(n -> cmd.add(n.asText()));
      assertThat(subcommands).as("service %s", e.getKey()).contains(cmd.get(0));
      // picocli parses the full argument list: unknown options or bad values fail here.
      CommandLine cl = Main.commandLine();
      CommandLine.ParseResult parsed = cl.parseArgs(cmd.toArray(String[]::new));
      CommandLine.ParseResult sub = parsed.subcommand();
      assertThat(sub.matchedOptionValue("--bootstrap-servers", (String) null)).as("service %s", e.getKey())
          .isEqualTo("kafka:9092");
      stages.add(cmd.get(0));
    });
    assertThat(stages).contains("ingest", "augment", "train", "serve");
  }
}
