// Rebase help: the patch's hunk beside the new base's text at a conflict, "upstream has
// CONFIG_X", and the Ported-to: record. The conflict below is the real one of bugverbose on
// 2.6.11 (include/asm-i386/bug.h), shortened.

import { describe, expect, it } from 'vitest';
import { conflictBlocks, conflictHelp, declaredOptions, parseDeclarations, portHow, upstreamAdvice, withPortRecord } from '../../src/rebase/help.js';
import { parsePatch } from '../../src/patch/parse.js';

const PATCH = `From: tiny maintainers <tiny@localhost>
Subject: [PATCH] i386: make verbose BUG() reports optional (CONFIG_DEBUG_BUGVERBOSE)

Default y: nothing changes.

Signed-off-by: tiny maintainers <tiny@localhost>
---
diff --git a/include/asm-i386/bug.h b/include/asm-i386/bug.h
--- a/include/asm-i386/bug.h
+++ b/include/asm-i386/bug.h
@@ -9,7 +9,8 @@
  * undefined" opcode for parsing in the trap handler.
  */
 
 #if 1	/* Set to zero for a slightly smaller kernel */
+#ifdef CONFIG_DEBUG_BUGVERBOSE
 #define BUG()				\\
  __asm__ __volatile__(	"ud2\\n"		\\
 			"\\t.word %c0\\n"	\\
diff --git a/init/Kconfig b/init/Kconfig
--- a/init/Kconfig
+++ b/init/Kconfig
@@ -300,2 +300,6 @@ config EPOLL
 	  support for epoll family of system calls.
 
+config DEBUG_BUGVERBOSE
+	bool "Verbose BUG() reporting" if EMBEDDED
+	default y
+
`;

const MERGED = `  * undefined" opcode for parsing in the trap handler.
  */

<<<<<<< HEAD
#ifdef CONFIG_DEBUG_BUGVERBOSE
||||||| parent of 35f9556 (Make verbose BUG() and WARN_ON() reports optional)
#if 1	/* Set to zero for a slightly smaller kernel */
=======
#if 1	/* Set to zero for a slightly smaller kernel */
#ifdef CONFIG_DEBUG_BUGVERBOSE
>>>>>>> 35f9556 (Make verbose BUG() and WARN_ON() reports optional)
#define BUG()				\\
`;

describe('rebase help', () => {
  const patch = parsePatch(PATCH, 1);

  it('reads the diff3 blocks of a conflicted file', () => {
    expect(conflictBlocks(MERGED)).toEqual([
      {
        line: 4,
        ours: ['#ifdef CONFIG_DEBUG_BUGVERBOSE'],
        base: ['#if 1\t/* Set to zero for a slightly smaller kernel */'],
        theirs: ['#if 1\t/* Set to zero for a slightly smaller kernel */', '#ifdef CONFIG_DEBUG_BUGVERBOSE'],
      },
    ]);
  });

  it("puts the patch's hunk beside the new base's text", () => {
    expect(conflictHelp(patch, [{ file: 'include/asm-i386/bug.h', text: MERGED }])).toEqual([
      {
        file: 'include/asm-i386/bug.h',
        line: 4,
        intent: [
          '@@ -9,7 +9,8 @@',
          '  * undefined" opcode for parsing in the trap handler.',
          '  */',
          ' ',
          ' #if 1\t/* Set to zero for a slightly smaller kernel */',
          '+#ifdef CONFIG_DEBUG_BUGVERBOSE',
          ' #define BUG()\t\t\t\t\\',
          '  __asm__ __volatile__(\t"ud2\\n"\t\t\\',
          ' \t\t\t"\\t.word %c0\\n"\t\\',
        ],
        newBase: ['#ifdef CONFIG_DEBUG_BUGVERBOSE'],
      },
    ]);
  });

  it('finds the options a patch declares, and where the new base declares them', () => {
    expect(declaredOptions(patch)).toEqual(['DEBUG_BUGVERBOSE']);
    const grep = 'c39ae07:arch/frv/Kconfig:439:config DEBUG_BUGVERBOSE\nc39ae07:lib/Kconfig.debug:90:config DEBUG_BUGVERBOSE\n';
    const decls = parseDeclarations(grep, ['DEBUG_BUGVERBOSE']);
    expect(decls).toEqual([{ symbol: 'DEBUG_BUGVERBOSE', file: 'arch/frv/Kconfig', line: 439 }]);
    expect(upstreamAdvice('bugverbose', '2.6.11', '2.6.9', decls, '/w')).toEqual([
      'upstream: 2.6.11 already declares CONFIG_DEBUG_BUGVERBOSE (arch/frv/Kconfig:439), which bugverbose adds.',
      '  If 2.6.11 does what the patch does: resolve to no change (git -C /w checkout HEAD -- .,',
      '  then --continue): the patch stays for 2.6.9 only ("upstream" in the table).',
      "  If it does part of it: keep only the rest and leave out the patch's own Kconfig entry (convert).",
    ]);
  });

  it('records in the header which bases the patch was ported to, and how', () => {
    const header = 'From: a <a@b>\nSubject: [PATCH] x\n\nWhy.\n\nSigned-off-by: a <a@b>\n';
    const once = withPortRecord(header, '2.6.11', portHow('conflict', 'resolved by hand')!);
    expect(once).toBe('From: a <a@b>\nSubject: [PATCH] x\n\nWhy.\n\nSigned-off-by: a <a@b>\nPorted-to: 2.6.11 (hand)\n');
    const twice = withPortRecord(once, '2.6.12-rc2', portHow('merged', 'offset')!);
    expect(twice).toBe('From: a <a@b>\nSubject: [PATCH] x\n\nWhy.\n\nSigned-off-by: a <a@b>\nPorted-to: 2.6.11 (hand)\nPorted-to: 2.6.12-rc2 (offset)\n');
    // The same base again replaces its record; a plain diff has no header to record it in.
    expect(withPortRecord(twice, '2.6.11', 'merged')).toBe(twice.replace('2.6.11 (hand)', '2.6.11 (merged)'));
    expect(withPortRecord('', '2.6.11', 'hand')).toBe('');
    expect([portHow('clean', undefined), portHow('merged', '3-way merge'), portHow('upstream', 'x')]).toEqual(['clean', 'merged', undefined]);
  });
});
