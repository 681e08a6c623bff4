using System.Text.RegularExpressions;

namespace Mnemo.Memory.Safety;

/// <summary>The scanner's patterns, each compiled at build time. Most are led by a literal the engine finds with a
/// vectorised search; where a secret's shape starts with a class of characters, what comes before the literal is in a
/// look-behind (a "head" group marks where the secret starts).</summary>
public sealed partial class MemoryScanner
{
    // A name rather than a value: dotted members, CONSTANT_CASE, snake_case with an underscore, camelCase without digits.
    [GeneratedRegex(@"^(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{2,}|[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+(?:[A-Z][a-z]+)+)$", Options)]
    private static partial Regex Identifier();

    [GeneratedRegex(@"\bsk-ant-[a-z]{2,10}\d{0,3}-[A-Za-z0-9_\-]{20,}", Options)]
    private static partial Regex AnthropicKey();

    [GeneratedRegex(@"\bsk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,}|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}|\bsk-[A-Za-z0-9]{48}\b", Options)]
    private static partial Regex OpenAiKey();

    [GeneratedRegex(@"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{50,255}\b", Options)]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z2-7]{16}\b", Options)]
    private static partial Regex AwsAccessKeyId();

    [GeneratedRegex(@"(?i:aws)[A-Za-z_ .\-]{0,20}(?i:secret)[A-Za-z_ .\-]{0,20}(?:key)?[""']?\s*[:=]\s*[""']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])", Options)]
    private static partial Regex AwsSecretKey();

    [GeneratedRegex(@"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])", Options)]
    private static partial Regex GoogleApiKey();

    [GeneratedRegex(@"\bGOCSPX-[A-Za-z0-9_\-]{28}(?![A-Za-z0-9_\-])", Options)]
    private static partial Regex GoogleClientSecret();

    [GeneratedRegex(@"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,16384}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?", Options)]
    private static partial Regex PrivateKey();

    // The base64 of a private key without its BEGIN line: the DER of PKCS#1 (RSA), SEC1 (EC), PKCS#8 and OpenSSH keys
    // starts with a version number that certificates and public keys do not have.
    [GeneratedRegex(@"(?<![A-Za-z0-9+/])(?:MII[A-Za-z0-9+/]{2}[AQgw]IB(?:AAK|AD)|MIG[A-Za-z0-9+/]AgE[AB]|MHcCAQEE|MC4CAQAw|MFECAQEw|MIHcAgEBBE|b3BlbnNzaC1rZXktdjE)[A-Za-z0-9+/=]{20,}(?:\r?\n[A-Za-z0-9+/=]{1,128}){0,150}", Options)]
    private static partial Regex PrivateKeyBody();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", Options)]
    private static partial Regex Jwt();

    [GeneratedRegex(@"(?i:\b(?:password|pwd|passwd)\s*=\s*)(?<secret>""[^""\r\n]+""|'[^'\r\n]+'|[^;""'\s]+)(?=\s*(?:;|$|""|'|\s))", Options | RegexOptions.Multiline)]
    private static partial Regex ConnectionStringPassword();

    // Led by "://", which the engine finds with a vectorised search; the scheme is checked looking back from there.
    [GeneratedRegex(@"(?<=\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20})://[^/\s:@""'<>]{0,128}:(?<secret>[^/\s@""'<>]{1,256})@[^\s/""'<>]", Options)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,}/[A-Z0-9]{6,}/[A-Za-z0-9]{20,}", Options)]
    private static partial Regex SlackWebhook();

    [GeneratedRegex(@"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{15,20}/[A-Za-z0-9_\-]{60,}", Options)]
    private static partial Regex DiscordWebhook();

    [GeneratedRegex(@"(?<=(?<head>(?<![\w:])\d{8,10})):AA[A-Za-z0-9_\-]{33}(?![A-Za-z0-9_\-])", Options)]
    private static partial Regex TelegramBotToken();

    [GeneratedRegex(@"\b(?:glpat|glptt|gldt|glrt|glsoat|glcbt|gloas)-[A-Za-z0-9_\-]{20,}", Options)]
    private static partial Regex GitLabToken();

    [GeneratedRegex(@"\bnpm_[A-Za-z0-9]{36}\b", Options)]
    private static partial Regex NpmToken();

    [GeneratedRegex(@"\bpypi-AgE[A-Za-z0-9_\-]{50,}", Options)]
    private static partial Regex PyPiToken();

    [GeneratedRegex(@"\boy2[a-z0-9]{43}\b", Options)]
    private static partial Regex NuGetApiKey();

    [GeneratedRegex(@"\bdckr_(?:pat|oat)_[A-Za-z0-9_\-]{24,}", Options)]
    private static partial Regex DockerHubToken();

    [GeneratedRegex(@"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b", Options)]
    private static partial Regex SendGridKey();

    [GeneratedRegex(@"\bkey-[0-9a-z]{32}\b", Options)]
    private static partial Regex MailgunKey();

    [GeneratedRegex(@"(?<=(?<head>\b[0-9a-f]{32}))-us\d{1,2}\b", Options)]
    private static partial Regex MailchimpKey();

    [GeneratedRegex(@"\bwhsec_[A-Za-z0-9+/]{32,}", Options)]
    private static partial Regex StripeWebhookSecret();

    [GeneratedRegex(@"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", Options)]
    private static partial Regex ShopifyToken();

    [GeneratedRegex(@"\b(?:sq0atp|sq0csp)-[0-9A-Za-z_\-]{22,43}|\bEAAA[A-Za-z0-9_\-]{60}\b", Options)]
    private static partial Regex SquareToken();

    [GeneratedRegex(@"\baccess_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}\b", Options)]
    private static partial Regex BraintreeToken();

    [GeneratedRegex(@"\bhf_[A-Za-z]{34,40}\b", Options)]
    private static partial Regex HuggingFaceToken();

    // Groq, Replicate, Perplexity, xAI, OpenRouter, Fireworks: the AI APIs whose keys have a prefix of their own, one
    // regex each so that each is led by its literal.
    [GeneratedRegex(@"\bgsk_[A-Za-z0-9]{52}\b", Options)]
    private static partial Regex GroqKey();

    [GeneratedRegex(@"\br8_[A-Za-z0-9]{37}\b", Options)]
    private static partial Regex ReplicateToken();

    [GeneratedRegex(@"\bpplx-[A-Za-z0-9]{48}\b", Options)]
    private static partial Regex PerplexityKey();

    [GeneratedRegex(@"\bxai-[A-Za-z0-9]{80}\b", Options)]
    private static partial Regex XaiKey();

    [GeneratedRegex(@"\bsk-or-v1-[a-f0-9]{64}\b", Options)]
    private static partial Regex OpenRouterKey();

    [GeneratedRegex(@"\bfw_[A-Za-z0-9]{24,}\b", Options)]
    private static partial Regex FireworksKey();

    [GeneratedRegex(@"(?i:\b(?:AccountKey|SharedAccessKey)\s*=\s*)(?<secret>[A-Za-z0-9+/]{40,88}={0,2})", Options)]
    private static partial Regex AzureStorageKey();

    [GeneratedRegex(@"[?&]sv=\d{4}-\d{2}-\d{2}&[^\s""'<>]*?\bsig=(?<secret>[A-Za-z0-9%+/]{40,}={0,2})", Options)]
    private static partial Regex AzureSasSignature();

    [GeneratedRegex(@"(?<=(?<head>(?<![A-Za-z0-9_~.\-])[A-Za-z0-9_~.\-]{3}\d))Q~[A-Za-z0-9_~.\-]{31,34}(?![A-Za-z0-9_~.\-])", Options)]
    private static partial Regex AzureClientSecret();

    [GeneratedRegex(@"\bdo[por]_v1_[a-f0-9]{64}\b", Options)]
    private static partial Regex DigitalOceanToken();

    [GeneratedRegex(@"\bdapi[a-f0-9]{32}(?:-\d)?\b", Options)]
    private static partial Regex DatabricksToken();

    [GeneratedRegex(@"\bATATT3[A-Za-z0-9_\-=]{150,}", Options)]
    private static partial Regex AtlassianToken();

    [GeneratedRegex(@"\blin_(?:api|oauth)_[A-Za-z0-9]{40}\b", Options)]
    private static partial Regex LinearApiKey();

    [GeneratedRegex(@"\bntn_[0-9]{11}[A-Za-z0-9]{32,35}\b|\bsecret_[A-Za-z0-9]{43}\b", Options)]
    private static partial Regex NotionToken();

    [GeneratedRegex(@"\bhv[sbr]\.[A-Za-z0-9_\-]{24,}", Options)]
    private static partial Regex VaultToken();

    [GeneratedRegex(@"\bNRAK-[A-Z0-9]{27}\b", Options)]
    private static partial Regex NewRelicKey();

    [GeneratedRegex(@"PuTTY-User-Key-File-\d: [^\r\n]+(?:\r?\n[^\r\n]*){0,40}?\r?\nPrivate-Lines: \d+(?:\r?\n[A-Za-z0-9+/=]{1,128}){1,60}", Options)]
    private static partial Regex PuttyPrivateKey();

    // A .env line: a name in capitals, then a value written out; the name must say secret (IsEnvSecret). Led by the '=',
    // with the name and the line's start in a look-behind: a line-start-led pattern costs twenty times as much.
    [GeneratedRegex(@"(?<=^[ \t]*(?:export[ \t]+)?(?<name>[A-Z][A-Z0-9_]{0,60})[ \t]*)=[ \t]*(?<secret>""[^""\r\n]{4,}""|'[^'\r\n]{4,}'|[^\s#""']{4,})", Options | RegexOptions.Multiline)]
    private static partial Regex EnvSecret();

    [GeneratedRegex(@"(?:SECRET|PASSWORD|PASSWD|PWD|PASSPHRASE|TOKEN|CREDENTIALS?|(?:API|SECRET|PRIVATE|ACCESS|SIGNING|ENCRYPTION|MASTER|ACCOUNT|AUTH|APP|CLIENT|SERVICE|LICENSE)_?KEY)(?:_[A-Z0-9]{1,3})?$", Options)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?i:\b(?:password|passphrase|passcode|passwd|pw)\b(?:\s+(?:for|of|to|on)\s+[^:=\n]{1,40}?)?\s*(?:is|was|:|=)\s*)[`""']?(?<secret>[^\s`""';]{6,64})", Options)]
    private static partial Regex PasswordInProse();

    [GeneratedRegex(@"\bxox[baprs]-[A-Za-z0-9\-]{10,}", Options)]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}", Options)]
    private static partial Regex StripeKey();

    [GeneratedRegex(@"(?i:\b(?:api[_\-]?key|secret(?:[_\-]?key)?|access[_\-]?token|auth[_\-]?token|client[_\-]?secret|password|passwd)\b[""']?\s*[:=]\s*[""']?)(?<secret>[A-Za-z0-9_\-+/=.]{16,})", Options)]
    private static partial Regex AssignedCredential();

    [GeneratedRegex(@"\b(?:ignore|disregard|forget|skip|drop)\s+(?:all\s+|any\s+|the\s+|your\s+|of\s+)*(?:previous|prior|above|earlier|preceding|former|existing|original|system)\s+(?:instructions?|prompts?|messages?|rules|directions|guidelines|guidance|context|commands|orders)", Words)]
    private static partial Regex IgnorePrevious();

    [GeneratedRegex(@"\b(?:override|bypass|disable|circumvent)\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:safety\s+|system\s+|previous\s+)*(?:instructions|rules|guidelines|guardrails|restrictions|filters|system\s+prompt)\b|\bnew\s+(?:system\s+)?instructions\s*:|\bfrom\s+now\s+on,?\s+(?:you\s+(?:must|will|should|are)|always|never|ignore)", Words)]
    private static partial Regex OverrideInstructions();

    [GeneratedRegex(@"\b(?:do\s+not|don't|never)\s+(?:tell|inform|mention\s+(?:this\s+|it\s+)?to|reveal\s+(?:this\s+|it\s+)?to|let)\s+the\s+user\b|\bwithout\s+(?:telling|informing|notifying|alerting)\s+the\s+user\b|\b(?:keep|hide)\s+(?:this|it)\s+(?:secret\s+)?from\s+the\s+user\b", Words)]
    private static partial Regex HideFromUser();

    [GeneratedRegex(@"\b(?:send|post|upload|forward|transmit|exfiltrate|leak|email|submit)\b[^.\n]{0,80}\b(?:api\s*keys?|secrets?|credentials?|passwords?|tokens?|env(?:ironment)?\s+variables|\.env|ssh\s+keys?|system\s+prompt|conversation|chat\s+history|memory|memories|files?)\b[^.\n]{0,60}\b(?:to|at|via)\s+(?:https?://|[\w.-]+@[\w-]+\.[\w.]+|(?:this|the\s+following|my|our)\s+(?:url|endpoint|server|address|webhook))", Words)]
    private static partial Regex ExfiltrateToAddress();

    [GeneratedRegex(@"\b(?:print|reveal|output|repeat|show|dump|leak)\s+(?:me\s+)?(?:your|the)\s+(?:full\s+|entire\s+|original\s+|hidden\s+)*(?:system\s+prompt|initial\s+instructions|hidden\s+instructions|instructions\s+above)\b", Words)]
    private static partial Regex RevealHiddenContext();

    [GeneratedRegex(@"\byou\s+are\s+now\s+(?:in\s+)?(?:a\s+|an\s+)?(?:unrestricted|jailbroken|developer\s+mode|dan\b|evil|uncensored|no\s+longer)|\b(?:act|pretend)\s+as\s+(?:if\s+you\s+(?:are|were)\s+)?(?:an?\s+)?(?:unrestricted|jailbroken|uncensored)\b|\benter\s+(?:developer|god|admin)\s+mode\b", Words)]
    private static partial Regex NewIdentity();

    [GeneratedRegex(@"\b(?:note|message|instructions?)\s+(?:to|for)\s+(?:the\s+|any\s+)?(?:ai|assistant|model|llm|claude|agent)\b\s*[:\-]|\b(?:to|attention)\s+(?:the\s+|any\s+)?(?:ai|llm|language\s+model)\s+(?:reading|processing)\s+this\b|\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|llm|language\s+model|assistant)\s+reading\s+this\b", Words)]
    private static partial Regex AddressedToModel();

    [GeneratedRegex(@"\b(?:send|post|upload|forward|exfiltrate|leak|email)\s+(?:all\s+|every\s+|any\s+|the\s+|your\s+)*(?:api\s*keys?|secrets|credentials|passwords|tokens|env(?:ironment)?\s+variables|ssh\s+keys?)\b", Words)]
    private static partial Regex ExfiltrateSecrets();

    [GeneratedRegex(@"<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\|>|\[/?INST\]|<</?SYS>>", Options)]
    private static partial Regex ChatTemplateToken();

    [GeneratedRegex(@"\n[ \t\r]*\n(?:Human|Assistant|H|A):\s|^\r?\n(?:Human|Assistant|H|A):\s", Options)]
    private static partial Regex HumanAssistantTurn();

    [GeneratedRegex(@"</?(?:system|system[-_]prompt|system[-_]reminder|system[-_]message|instructions|admin[-_]instructions)(?:\s[^>]{0,80})?>", Words)]
    private static partial Regex SystemTag();

    [GeneratedRegex(@"^(?:#{1,6}\s*)?(?:\[SYSTEM\]|SYSTEM\s*(?:PROMPT|MESSAGE|OVERRIDE|NOTICE)?\s*:)", Options | RegexOptions.Multiline)]
    private static partial Regex SystemHeading();

    [GeneratedRegex(@"</?(?:antml:)?(?:function_calls|function_results|invoke|parameter\s+name=|tool_use|tool_result|tool_call)\b[^>]{0,80}>", Words)]
    private static partial Regex FunctionCallsMarkup();

    [GeneratedRegex(@"""type""\s*:\s*""(?:tool_use|tool_result|function_call)""|""tool_calls""\s*:\s*\[", Options)]
    private static partial Regex ToolUseJson();

    // "Ignore the previous instructions" in the languages most people write: German, Spanish, French, Portuguese,
    // Italian, Dutch, Polish, Indonesian, Turkish (Latin script), Vietnamese ...
    [GeneratedRegex(@"\b(?:ignorier(?:e|en\s+sie)?|vergiss|vergessen\s+sie|missachte|ignora|ignore[zr]?|olvida|olvide|omite|descarta|oublie[zr]?|esque[çc]a|desconsidere|dimentica|negeer|vergeet|zignoruj|zapomnij|abaikan|lupakan)\s+(?:(?:(?:alle|die|deine|ihre|todas|todos|las|los|tus|sus|toutes|tous|les|tes|vos|as|suas|tutte|le|tue|wszystkie|semua|de)\s+)+(?:(?:vorherigen|bisherigen|obigen|vorigen|früheren|anteriores|previas|précédentes|antérieures|precedenti|vorige|eerdere|poprzednie)\s+)?|(?:vorherige|vorherigen|bisherige|obige|frühere|previas|anteriores|poprzednie|eerdere)\s+)(?:anweisungen|instruktionen|befehle|vorgaben|instrucciones|indicaciones|órdenes|instructions|consignes|directives|instruções|instrucoes|diretrizes|orientações|istruzioni|indicazioni|instructies|instrukcje|polecenia|instruksi|perintah|arahan)\b|\b(?:önceki|tüm)\s+(?:tüm\s+)?talimatları\s+(?:yok\s+say|görmezden\s+gel|unut)", Words)]
    private static partial Regex IgnorePreviousLatin();

    [GeneratedRegex(@"\bbỏ\s+qua\s+(?:tất\s+cả\s+)?(?:các\s+)?(?:hướng\s+dẫn|chỉ\s+thị)", Words)]
    private static partial Regex IgnorePreviousVietnamese();

    // ... and Russian, Ukrainian, Chinese, Japanese, Korean, Hindi, Arabic, Bengali, Urdu, Persian.
    [GeneratedRegex(@"(?:игнорируй(?:те)?|проигнорируй(?:те)?|забудь(?:те)?|ігноруй(?:те)?|забудь)\s+(?:все\s+|всі\s+)?(?:предыдущие\s+|прежние\s+|свои\s+|вышеуказанные\s+|попередні\s+)?(?:инструкции|указания|правила|команды|інструкції|вказівки)|(?:忽略|无视|無視|忽视|忽視|不要理会|不要理會|忘记|忘記|忘掉)(?:掉)?(?:你)?(?:之前|以上|先前|前面|上面|所有|全部|此前|原来|原來)(?:的)?(?:所有|全部)?(?:的)?(?:指令|指示|说明|說明|规则|規則|提示|设定|設定)|(?:以前|前|上記|これまで)の(?:すべての|全ての)?(?:指示|命令|ルール)を(?:すべて|全て)?(?:無視|忘れ)|(?:이전|앞의|위의)\s*(?:모든\s*)?(?:지시|지침|명령)(?:사항)?(?:을|를)?\s*(?:모두\s*)?(?:무시|잊어)|(?:पिछले|पिछली|पहले\s+के|ऊपर\s+के)\s+(?:सभी\s+)?(?:निर्देशों|निर्देश|आदेशों)\s+(?:को\s+)?(?:अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल)|(?:تجاهل|انس|إنس)\s+(?:جميع\s+|كل\s+)?(?:التعليمات|الأوامر|التوجيهات)|(?:পূর্ববর্তী|আগের)\s+(?:সমস্ত\s+|সব\s+)?(?:নির্দেশনা|নির্দেশ)\s+(?:উপেক্ষা|ভুলে)|(?:پچھلی|سابقہ|قبلی)\s+(?:تمام\s+)?(?:ہدایات|دستورالعمل‌ها|دستورات)\s+(?:کو\s+|را\s+)?(?:نظر\s+انداز|نادیده)", Words)]
    private static partial Regex IgnorePreviousOtherScripts();

    [GeneratedRegex(@"\bforget\s+(?:everything|all(?:\s+of\s+it)?|what)\s+(?:you\s+(?:know|knew|were\s+told|have\s+been\s+told|learned)|(?:i|we)\s+(?:said|told\s+you)|above|before|so\s+far|prior|until\s+now)\b|\byour\s+(?:new|real|true)\s+(?:role|persona|identity|task|objective|purpose|instructions?)\s+(?:is|are|will\s+be)\b|\bfrom\s+now\s+on\s+you\s+are\b", Words)]
    private static partial Regex ForgetEverything();

    // A markdown image (fetched as soon as it is shown) whose address carries data out: a query with a placeholder for
    // it, or a long value.
    [GeneratedRegex(@"!\[[^\]\r\n]{0,200}\]\(\s*<?https?://[^\s)>]+[?&][^\s)>]*?=(?:[^\s&)>]*(?:\{|%7B|\$|\[|%5B)[^\s)>]*|[^\s&)>]{40,})", Words)]
    private static partial Regex MarkdownExfiltration();

    // A fake call of the memory tool that deletes or renames, in JSON as a tool call would carry it.
    [GeneratedRegex(@"""command""\s*:\s*""(?:delete|rename)""[^{}]{0,300}?""(?:path|old_path)""\s*:\s*""/memories|""(?:path|old_path)""\s*:\s*""/memories[^""]*""[^{}]{0,300}?""command""\s*:\s*""(?:delete|rename)""", Options)]
    private static partial Regex FakeMemoryCommand();

    // Personal data. A card: 13 to 19 digits, in groups or not, led by a digit that is not part of a longer number.
    [GeneratedRegex(@"(?<![\d\-.,])(?:[2-6]\d{3}(?:[ \-]?\d{4}){2}[ \-]?\d{1,7}|3[47]\d{2}[ \-]\d{6}[ \-]\d{5})(?![\d\-]|[.,]\d)", Options)]
    private static partial Regex PaymentCard();

    [GeneratedRegex(@"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", Options)]
    private static partial Regex Iban();

    [GeneratedRegex(@"(?<=(?<head>(?<![\d\-])\d{3}))-\d{2}-\d{4}(?![\d\-])", Options)]
    private static partial Regex UsSsn();

    [GeneratedRegex(@"(?<=(?<head>(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}))@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])", Options)]
    private static partial Regex Email();

    [GeneratedRegex(@"\+\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,5}(?![\d])|(?<![\w(])\(\d{3}\) ?\d{3}[\-. ]\d{4}(?!\d)", Options)]
    private static partial Regex Phone();
}
