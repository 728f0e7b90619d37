package controllers

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/go-pdf/fpdf"

	"github.com/ginshop/ginshop/models"
)

// GetInvoice is GET /orders/:orderId (exports.getInvoice): the order's invoice as a PDF, shown
// in the browser. The course builds it with pdfkit and pipes it into the response; here it is
// built in memory first, so a failure is an error page rather than half a file. Someone
// else's order, like an unknown one, is the 404 page.
func (ctl *Controllers) GetInvoice(c *gin.Context) {
	id, err := models.ParseID(c.Param("orderId"))
	if err != nil {
		ctl.NotFound(c)
		return
	}
	order, err := ctl.Models.Orders.OwnedByID(c.Request.Context(), id, currentUser(c).ID)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := writeInvoice(&buf, order); err != nil {
		ctl.serverError(c, err)
		return
	}
	// res.setHeader('Content-Disposition', 'inline; filename="' + invoiceName + '"')
	c.Header("Content-Disposition", `inline; filename="invoice-`+order.ID.Hex()+`.pdf"`)
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}

// writeInvoice lays out one A4 page: the shop, the order, one line per item and the total.
func writeInvoice(buf *bytes.Buffer, o models.Order) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false) // a one-page invoice is small; plain text is easier to inspect
	// The core fonts speak Windows-1252: translate UTF-8 titles (é, €, ...) to it.
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle("Invoice "+o.ID.Hex(), true)
	pdf.SetCreator("Gin Shop", true)
	pdf.AddPage()

	pdf.SetFont("Helvetica", "B", 22)
	pdf.CellFormat(0, 12, "Gin Shop", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 16)
	pdf.CellFormat(0, 10, "Invoice", "B", 1, "L", false, 0, "")
	pdf.Ln(4)

	pdf.SetFont("Helvetica", "", 11)
	pdf.CellFormat(0, 6, "Order: "+o.ID.Hex(), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 6, "Date: "+o.CreatedAt.UTC().Format("2 January 2006, 15:04 UTC"), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 6, tr("Customer: "+o.User.Email), "", 1, "L", false, 0, "")
	pdf.Ln(6)

	const titleW, qtyW, priceW, amountW, rowH = 95.0, 20.0, 35.0, 40.0, 8.0
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(titleW, rowH, "Product", "B", 0, "L", false, 0, "")
	pdf.CellFormat(qtyW, rowH, "Quantity", "B", 0, "R", false, 0, "")
	pdf.CellFormat(priceW, rowH, "Unit price", "B", 0, "R", false, 0, "")
	pdf.CellFormat(amountW, rowH, "Amount", "B", 1, "R", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	for _, it := range o.Products {
		pdf.CellFormat(titleW, rowH, fitText(pdf, tr(it.Product.Title), titleW-2), "", 0, "L", false, 0, "")
		pdf.CellFormat(qtyW, rowH, strconv.Itoa(it.Quantity), "", 0, "R", false, 0, "")
		pdf.CellFormat(priceW, rowH, "$"+it.PriceText(), "", 0, "R", false, 0, "")
		pdf.CellFormat(amountW, rowH, "$"+models.FormatCents(it.TotalCents()), "", 1, "R", false, 0, "")
	}
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(titleW+qtyW+priceW, rowH+2, "Total", "T", 0, "R", false, 0, "")
	pdf.CellFormat(amountW, rowH+2, "$"+o.TotalText(), "T", 1, "R", false, 0, "")
	return pdf.Output(buf)
}

// fitText shortens s with "..." until it fits in width (mm) in the current font.
func fitText(pdf *fpdf.Fpdf, s string, width float64) string {
	if pdf.GetStringWidth(s) <= width {
		return s
	}
	b := []byte(s) // already single-byte Windows-1252 here
	for len(b) > 0 && pdf.GetStringWidth(string(b)+"...") > width {
		b = b[:len(b)-1]
	}
	return string(b) + "..."
}
