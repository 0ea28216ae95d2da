// Compiled into the generator too (COMPOSER_GENERATOR, internal there), so both sides share one definition.
namespace Composer.Core;

/// <summary>
/// Marks a <c>string</c> parameter (or a list of strings) that holds Composer time strings (<c>"1ep"</c>, <c>"0.1dur"</c>):
/// a constant given to it is parsed when the code is built, and a bad one is error CMP0014 on the string with the
/// parser's message, instead of a <c>FormatException</c> when the trainer is built. <c>Time.Parse</c>'s argument is
/// checked the same way.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
#if COMPOSER_GENERATOR
internal
#else
public
#endif
sealed class TimeStringAttribute : Attribute;
