using System.Globalization;
using System.Security;
using System.Text;
using Mnemo.Context;

namespace Mnemo.Cli;

/// <summary>Draws a replay as an SVG line chart: input tokens sent per request without editing and with each
/// configuration, and each configuration's trigger as a dashed line. Self-contained: no script, font or stylesheet
/// from elsewhere.</summary>
internal static class ReplayChart
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private static readonly string[] Colours = ["#6b7280", "#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04"];
    private const double Width = 1000, Height = 480, Left = 80, Right = 250, Top = 40, Bottom = 50;

    public static string Svg(ReplayReport report)
    {
        var results = report.Results;
        var count = results[0].Rows.Count;
        var triggers = report.Configs
            .Select(pair => pair.Config.Edits.OfType<ClearToolUsesEdit>().FirstOrDefault()?.EffectiveTrigger)
            .Select(trigger => trigger is { Kind: ContextTriggerKind.InputTokens } t ? t.Value : (long?)null)
            .ToList();
        // Scaled to the requests, not to a trigger far above them; such a trigger is named in the legend instead.
        var top = Nice(results.Max(result => result.Rows.Max(row => row.EditedInputTokens)));
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double X(int request) => Left + (count <= 1 ? plotWidth / 2 : (request - 1) * plotWidth / (count - 1));
        double Y(long tokens) => Top + plotHeight - (tokens * plotHeight / top);

        var svg = new StringBuilder();
        svg.Append(C, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(C, $"<title>Input tokens per request, with and without context editing</title>\n");
        svg.Append(C, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>\n");
        svg.Append(C, $"<text x=\"{Left}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">Input tokens per request: {Escape(report.Session.Format)} session, {count:N0} requests</text>\n");

        // Axes, with five steps of tokens and of requests.
        for (var step = 0; step <= 5; step++)
        {
            var tokens = top * step / 5;
            var y = Y(tokens);
            svg.Append(C, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotWidth}\" y2=\"{y:0.#}\" stroke=\"#e5e7eb\"/>\n");
            svg.Append(C, $"<text x=\"{Left - 8}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{tokens:N0}</text>\n");
            var request = 1 + (int)Math.Round((count - 1) * step / 5.0);
            svg.Append(C, $"<text x=\"{X(request):0.#}\" y=\"{Top + plotHeight + 18}\" text-anchor=\"middle\">{request:N0}</text>\n");
        }

        svg.Append(C, $"<line x1=\"{Left}\" y1=\"{Top + plotHeight}\" x2=\"{Left + plotWidth}\" y2=\"{Top + plotHeight}\" stroke=\"#111827\"/>\n");
        svg.Append(C, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotHeight}\" stroke=\"#111827\"/>\n");
        svg.Append(C, $"<text x=\"{Left + (plotWidth / 2)}\" y=\"{Height - 12}\" text-anchor=\"middle\">request</text>\n");
        svg.Append(C, $"<text x=\"16\" y=\"{Top + (plotHeight / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {Top + (plotHeight / 2)})\">input tokens sent</text>\n");

        for (var r = 0; r < results.Count; r++)
        {
            var colour = Colours[r % Colours.Length];
            var result = results[r];
            long? shown = r > 0 ? triggers[r - 1] : null;
            if (shown is { } trigger && trigger <= top)
            {
                svg.Append(C, $"<line x1=\"{Left}\" y1=\"{Y(trigger):0.#}\" x2=\"{Left + plotWidth}\" y2=\"{Y(trigger):0.#}\" stroke=\"{colour}\" stroke-dasharray=\"6 4\" stroke-opacity=\"0.7\"><title>{Escape(result.Name)} trigger: {trigger:N0}</title></line>\n");
            }

            // No editing is a wide pale band under the others, so a configuration that never clears is seen lying on it.
            svg.Append(C, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"{(r == 0 ? 6 : 1.8)}\" stroke-opacity=\"{(r == 0 ? 0.35 : 1)}\" stroke-linejoin=\"round\" points=\"");
            foreach (var row in result.Rows)
            {
                svg.Append(C, $"{X(row.Number):0.#},{Y(row.EditedInputTokens):0.#} ");
            }

            svg.Append("\"><title>").Append(Escape(result.Name)).Append("</title></polyline>\n");
            var legendY = Top + 10 + (r * 22);
            svg.Append(C, $"<line x1=\"{Width - Right + 16}\" y1=\"{legendY}\" x2=\"{Width - Right + 40}\" y2=\"{legendY}\" stroke=\"{colour}\" stroke-width=\"3\"/>\n");
            svg.Append(C, $"<text x=\"{Width - Right + 46}\" y=\"{legendY + 4}\">{Escape(result.Name)}{(shown is { } t ? string.Create(C, $" ({t / 1000.0:0.#}k{(t > top ? ", off the chart" : string.Empty)})") : string.Empty)}</text>\n");
        }

        svg.Append(C, $"<text x=\"{Width - Right + 16}\" y=\"{Top + 24 + (results.Count * 22)}\" fill=\"#4b5563\">(k): trigger; dashed line</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>A round number at or above the value, for the top of the axis.</summary>
    private static long Nice(long value)
    {
        if (value <= 0)
        {
            return 1;
        }

        var magnitude = (long)Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= value)
            {
                return (long)(step * magnitude);
            }
        }

        return 10 * magnitude;
    }

    private static string Escape(string text) => SecurityElement.Escape(text);
}
