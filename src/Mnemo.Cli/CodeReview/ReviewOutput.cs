using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mnemo.Cli.CodeReview;

/// <summary>Writes a diff review's findings: as text for a person, as JSON, or as the body of a GitHub pull-request review.</summary>
internal static class ReviewOutput
{
    /// <summary>The findings and the summary, for a person to read.</summary>
    public static string Text(DiffReviewResult result)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"Review of {result.Change.Label}: {Count(result.Findings.Count)}\n");
        foreach (var finding in result.Findings)
        {
            text.Append(c, $"\n{finding.File}:{finding.Line}  {finding.Severity}  {finding.Title}\n");
            foreach (var line in finding.Body.ReplaceLineEndings("\n").Split('\n'))
            {
                text.Append("    ").Append(line).Append('\n');
            }

            if (finding.Pattern is not null)
            {
                text.Append(c, $"    Pattern: {finding.Pattern}\n");
            }
        }

        if (result.Summary.Trim() is { Length: > 0 } summary)
        {
            text.Append("\nSummary\n").Append(summary).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The findings as JSON: the change, each finding (file, line, severity, title, body, pattern) and the summary.</summary>
    public static string Json(DiffReviewResult result) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("change"u8, result.Change.Label);
        if (result.Change.HeadIsCommit)
        {
            writer.WriteString("head"u8, result.Change.HeadCommit);
        }

        writer.WriteStartArray("findings"u8);
        foreach (var finding in result.Findings)
        {
            writer.WriteStartObject();
            writer.WriteString("file"u8, finding.File);
            writer.WriteNumber("line"u8, finding.Line);
            writer.WriteString("severity"u8, finding.Severity);
            writer.WriteString("title"u8, finding.Title);
            writer.WriteString("body"u8, finding.Body);
            if (finding.Pattern is null)
            {
                writer.WriteNull("pattern"u8);
            }
            else
            {
                writer.WriteString("pattern"u8, finding.Pattern);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("summary"u8, result.Summary.Trim());
        writer.WriteEndObject();
    });

    /// <summary>
    /// The JSON body of a GitHub pull-request review (<c>POST /repos/OWNER/REPO/pulls/N/reviews</c>): a comment on each
    /// finding's line of the new side, and the summary as the review's body. Posting it is the workflow's job.
    /// </summary>
    public static string GitHub(DiffReviewResult result) => Write(writer =>
    {
        writer.WriteStartObject();
        if (result.Change.HeadIsCommit)
        {
            writer.WriteString("commit_id"u8, result.Change.HeadCommit);
        }

        writer.WriteString("event"u8, "COMMENT");
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"**Mnemo code review**: {Count(result.Findings.Count)}.");
        if (result.Summary.Trim() is { Length: > 0 } summary)
        {
            body.Append("\n\n").Append(summary);
        }

        writer.WriteString("body"u8, body.ToString());
        writer.WriteStartArray("comments"u8);
        foreach (var finding in result.Findings)
        {
            writer.WriteStartObject();
            writer.WriteString("path"u8, finding.File);
            writer.WriteNumber("line"u8, finding.Line);
            writer.WriteString("side"u8, "RIGHT");
            writer.WriteString("body"u8, $"**{finding.Title}** ({finding.Severity})\n\n{finding.Body}" +
                (finding.Pattern is null ? string.Empty : $"\n\n_Pattern from memory: `{finding.Pattern}`_"));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    private static string Count(int findings) => findings switch
    {
        0 => "no findings",
        1 => "1 finding",
        _ => string.Create(CultureInfo.InvariantCulture, $"{findings} findings"),
    };

    private static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }
}
