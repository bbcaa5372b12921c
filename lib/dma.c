// SPDX-License-Identifier: MIT
/*
 * A DMA device: it reads and writes a page's memory directly, as a device
 * does with the struct pages a driver got from pin_user_pages(). No page
 * table is involved, so there is no fault, no COW and no dirty tracking:
 * whatever the kernel did to the mappings meanwhile (fork, COW, writeback,
 * munmap) the device keeps using the pages it was given.
 *
 * A device write to the small zero page is always reported. With
 * cfg.debug_pins the pin sanitizer checks each access: DMA to a folio
 * that holds no pin (its exact shadow pin count is 0) or to a freed folio
 * (refcount 0) is the simulated equivalent of DMA into memory the kernel
 * may reuse. It is reported through the warn handler and counted in
 * gupsim_pin_sanitizer_reports; the access still happens, as real DMA
 * would.
 */
#include "internal.h"

enum dma_dir { DMA_TO_DEVICE, DMA_FROM_DEVICE };

static const char *dma_dir_name(enum dma_dir dir)
{
	return dir == DMA_FROM_DEVICE ? "write" : "read";
}

static void pin_sanitizer_report(struct page *page, enum dma_dir dir, size_t len,
				 const char *why)
{
	struct gupsim *sim = page->sim;

	count_vm_event(sim, GUPSIM_NR_PIN_SANITIZER_REPORTS);
	WARN(sim, 1, "pin sanitizer: DMA %s of %zu bytes to pfn %#lx: %s\n",
	     dma_dir_name(dir), len, page_to_pfn(page), why);
	dump_page(page, "pin sanitizer");
}

/*
 * The shared zero page is handed out by R/O pins without any pin being
 * recorded (semantics.md §2.4): a device may read it, never write it. A
 * write to it is reported with or without debug_pins: it needs no shadow
 * count to be seen, and it changes what every zero-page mapping of the
 * machine reads.
 */
static void pin_sanitizer_check(struct page *page, struct folio *folio, enum dma_dir dir,
				size_t len)
{
	if (is_zero_folio(folio)) {
		if (dir == DMA_FROM_DEVICE)
			pin_sanitizer_report(page, dir, len, "the shared zero page");
		return;
	}
	if (!page->sim->cfg.debug_pins)
		return;
	if (folio_ref_count(folio) == 0)
		pin_sanitizer_report(page, dir, len, "the folio has been freed");
	else if (pin_shadow_count(folio) == 0)
		pin_sanitizer_report(page, dir, len, "the folio holds no pin");
}

/*
 * The bytes [off, off + len) from @page on may run into the following
 * pages of its folio but not past it.
 */
static bool dma_in_folio(struct page *page, struct folio *folio, size_t off, size_t len)
{
	size_t start = (size_t)(page - &folio->page) * PAGE_SIZE;
	size_t folio_bytes = (size_t)folio_nr_pages(folio) * PAGE_SIZE;

	return off <= folio_bytes - start && len <= folio_bytes - start - off;
}

/* Page by page: a write gives each page data, a read of one without reads zeros. */
static void dma_copy(struct page *page, size_t off, unsigned char *buf, size_t len,
		     enum dma_dir dir)
{
	while (len) {
		struct page *p = page + off / PAGE_SIZE;
		size_t poff = off % PAGE_SIZE;
		size_t n = len < PAGE_SIZE - poff ? len : PAGE_SIZE - poff;

		if (dir == DMA_FROM_DEVICE)
			memcpy((unsigned char *)page_address(p) + poff, buf, n);
		else
			page_data_read(p, poff, buf, n);
		off += n;
		buf += n;
		len -= n;
	}
}

static long dma_access(struct page *page, size_t off, void *buf, size_t len, enum dma_dir dir)
{
	struct folio *folio;

	if (!page || (!buf && len) || (long)len < 0)
		return -EINVAL;
	if (page_uninit(page))		/* a struct page of no folio */
		return -EINVAL;
	folio = page_folio(page);
	if (!dma_in_folio(page, folio, off, len))
		return -EINVAL;
	pin_sanitizer_check(page, folio, dir, len);
	dma_copy(page, off, buf, len, dir);
	return (long)len;
}

long gupsim_dma_write(struct page *page, size_t off, const void *buf, size_t len)
{
	return dma_access(page, off, (void *)buf, len, DMA_FROM_DEVICE);
}

long gupsim_dma_read(struct page *page, size_t off, void *buf, size_t len)
{
	return dma_access(page, off, buf, len, DMA_TO_DEVICE);
}
