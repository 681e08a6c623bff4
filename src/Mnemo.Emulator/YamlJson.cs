using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mnemo.Emulator;

/// <summary>Turns a YAML document into the JSON it means, with YAML 1.2's core types for plain scalars.</summary>
internal static class YamlJson
{
    public static JsonElement Convert(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException exception)
        {
            throw new ScriptFormatException(
                string.Create(CultureInfo.InvariantCulture, $"not valid YAML at line {exception.Start.Line}, column {exception.Start.Column}: {Reason(exception)}"),
                exception);
        }

        if (stream.Documents.Count != 1)
        {
            throw new ScriptFormatException(stream.Documents.Count == 0 ? "the YAML is empty" : "expected one YAML document, found several");
        }

        var node = ToNode(stream.Documents[0].RootNode);
        return JsonSerializer.SerializeToElement(node);
    }

    private static string Reason(YamlException exception)
    {
        // YamlDotNet prefixes its message with the position, which the caller already says.
        var message = exception.InnerException?.Message ?? exception.Message;
        var close = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith('(') && close > 0 ? message[(close + 3)..] : message;
    }

    private static JsonNode? ToNode(YamlNode node) => node switch
    {
        YamlMappingNode mapping => ToObject(mapping),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToNode)]),
        YamlScalarNode scalar => ToValue(scalar),
        _ => throw new ScriptFormatException(
            string.Create(CultureInfo.InvariantCulture, $"YAML line {node.Start.Line}: aliases and anchors are not supported")),
    };

    private static JsonObject ToObject(YamlMappingNode mapping)
    {
        var result = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                throw new ScriptFormatException(string.Create(CultureInfo.InvariantCulture, $"YAML line {key.Start.Line}: a key must be plain text"));
            }

            if (!result.TryAdd(name, ToNode(value)))
            {
                throw new ScriptFormatException(string.Create(CultureInfo.InvariantCulture, $"YAML line {key.Start.Line}: the key \"{name}\" appears twice"));
            }
        }

        return result;
    }

    private static JsonValue? ToValue(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style != ScalarStyle.Plain)
        {
            // Quoted and block scalars are always strings.
            return JsonValue.Create(text);
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] is '-' or '+' or '.') &&
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(text);
    }
}
