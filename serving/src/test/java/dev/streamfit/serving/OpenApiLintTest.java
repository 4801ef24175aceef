package dev.streamfit.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.testkit.OutsideTool;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document serving publishes at {@code /openapi.json} passes a real linter, Redocly's CLI (npm
 * {@code @redocly/cli}), with its recommended rules: no error, no warning.
 */
class OpenApiLintTest {
  @TempDir
  Path dir;

  @Test
  void redoclyRecommendedRulesFindNothing() throws Exception {
    Path doc = dir.resolve("openapi.json");
    try (InputStream in = OpenApiLintTest.class.getResourceAsStream("/dev/streamfit/serving/openapi.json")) {
      assertThat(in).as("bundled openapi.json").isNotNull();
      Files.copy(in, doc);
    }
    // Run in an empty folder: no redocly.yaml there, so the built-in recommended configuration applies.
    OutsideTool.Run run = OutsideTool.run(List.of("redocly", "lint", "--format=json", doc.toString()), dir, null, 120,
        "npm install -g @redocly/cli");
    String out = run.output();
    int start = out.indexOf('{');
    assertThat(start).as(out).isGreaterThanOrEqualTo(0);
    JsonNode report = new ObjectMapper().readTree(out.substring(start, out.lastIndexOf('}') + 1));
    assertThat(report.get("problems").size()).as(report.get("problems").toPrettyString()).isZero();
    assertThat(report.get("totals").get("errors").asInt()).isZero();
    assertThat(report.get("totals").get("warnings").asInt()).isZero();
    assertThat(run.exitCode()).as(out).isZero();
  }
}
